// netlink::Messages: netfilter netlink (nfnetlink) requests under
// construction, and netlink::Attributes, a reader of the attributes of a
// reply. Shared by the ip_set (ipset.h) and nf_tables (nft_netlink.h) code;
// netlink::Socket (socket.h) sends them.
//
// Contract:
//  - Messages holds one or more messages back to back in one buffer (one
//    request, or an nf_tables batch). begin() starts a message: netlink
//    header (its own sequence number, from one process-wide counter, so
//    replies can be told apart from stale ones) and nfgenmsg; the attribute
//    calls append to the current message; end() closes it (patches its
//    length). Nests are offsets into the buffer, never pointers (it grows).
//  - Strings are put NUL-terminated; put_be* write network byte order.
//  - Attributes indexes the attributes of a message payload or a nest by type
//    (types >= 64 are ignored); malformed lengths end the walk, never read
//    past the data. Missing attributes read as empty / nullopt.
#pragma once

#include <linux/netlink.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace faultline::faults::net::netlink {

class Messages {
 public:
  // Starts a message of `type` (subsystem << 8 | command) with `flags`
  // (NLM_F_REQUEST is always set) and the nfgenmsg family/res_id.
  void begin(std::uint16_t type, std::uint16_t flags, std::uint8_t family, std::uint16_t res_id = 0);
  void end();

  void put(std::uint16_t type, const void* data, std::size_t length);
  void put_u8(std::uint16_t type, std::uint8_t v) { put(type, &v, 1); }
  void put_str(std::uint16_t type, const std::string& s) { put(type, s.c_str(), s.size() + 1); }
  void put_be32(std::uint16_t type, std::uint32_t v);
  void put_be64(std::uint16_t type, std::uint64_t v);
  std::size_t nest();                              // opens a nest; returns its offset
  void close(std::size_t nest, std::uint16_t type);  // closes it as NLA_F_NESTED `type`

  // Adds flags to the current (last begun) message, e.g. NLM_F_ACK.
  void add_flags(std::uint16_t flags);
  // Appends the messages of `other` (already ended) after these.
  void append(const Messages& other);

  const std::vector<std::uint8_t>& bytes() const { return buf_; }
  int count() const { return count_; }

 private:
  void append_raw(const void* data, std::size_t n);
  std::vector<std::uint8_t> buf_;
  std::size_t current_ = 0;
  int count_ = 0;
};

class Attributes {
 public:
  Attributes(const void* data, std::size_t length);
  // The attributes after a message's nfgenmsg.
  static Attributes of_message(const nlmsghdr* h);
  // The attributes inside a nest.
  static Attributes nested(const nlattr* a);
  static const void* payload(const nlattr* a);
  static std::size_t payload_length(const nlattr* a);

  const nlattr* at(int type) const { return type >= 0 && type < kMax ? at_[type] : nullptr; }
  std::string str(int type) const;
  std::optional<std::uint32_t> be32(int type) const;
  std::optional<std::uint64_t> be64(int type) const;

 private:
  static constexpr int kMax = 64;
  const nlattr* at_[kMax] = {};
};

// Calls f(nlattr*) for each attribute of a list (a nest of NFTA_LIST_ELEM).
template <typename F>
void for_each_in(const nlattr* list, F f) {
  auto* p = static_cast<const std::uint8_t*>(Attributes::payload(list));
  std::size_t n = Attributes::payload_length(list);
  for (std::size_t off = 0; off + NLA_HDRLEN <= n;) {
    auto* elem = reinterpret_cast<const nlattr*>(p + off);
    if (elem->nla_len < NLA_HDRLEN || off + elem->nla_len > n) break;
    f(elem);
    off += NLA_ALIGN(elem->nla_len);
  }
}

}  // namespace faultline::faults::net::netlink
