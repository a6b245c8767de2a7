#include "faults/net/netlink/message.h"

#include <arpa/inet.h>
#include <endian.h>
#include <linux/netfilter/nfnetlink.h>
#include <unistd.h>

#include <atomic>
#include <cstring>

namespace faultline::faults::net::netlink {
namespace {

std::uint32_t next_seq() {
  static std::atomic<std::uint32_t> seq{static_cast<std::uint32_t>(::getpid()) << 12};
  return ++seq;
}

}  // namespace

void Messages::append_raw(const void* data, std::size_t n) {
  std::size_t at = buf_.size();
  buf_.resize(at + NLMSG_ALIGN(n), 0);
  if (n) std::memcpy(buf_.data() + at, data, n);
}

void Messages::begin(std::uint16_t type, std::uint16_t flags, std::uint8_t family, std::uint16_t res_id) {
  current_ = buf_.size();
  buf_.resize(current_ + NLMSG_HDRLEN, 0);
  auto* h = reinterpret_cast<nlmsghdr*>(buf_.data() + current_);
  h->nlmsg_type = type;
  h->nlmsg_flags = static_cast<std::uint16_t>(NLM_F_REQUEST | flags);
  h->nlmsg_seq = next_seq();
  ++count_;
  nfgenmsg g{};
  g.nfgen_family = family;
  g.version = NFNETLINK_V0;
  g.res_id = htons(res_id);
  append_raw(&g, sizeof g);
}

void Messages::end() {
  reinterpret_cast<nlmsghdr*>(buf_.data() + current_)->nlmsg_len = static_cast<std::uint32_t>(buf_.size() - current_);
}

void Messages::put(std::uint16_t type, const void* data, std::size_t length) {
  nlattr a{static_cast<std::uint16_t>(NLA_HDRLEN + length), type};
  append_raw(&a, sizeof a);
  append_raw(data, length);
}

void Messages::put_be32(std::uint16_t type, std::uint32_t v) {
  v = htonl(v);
  put(type, &v, sizeof v);
}

void Messages::put_be64(std::uint16_t type, std::uint64_t v) {
  v = htobe64(v);
  put(type, &v, sizeof v);
}

std::size_t Messages::nest() {
  std::size_t at = buf_.size();
  nlattr a{NLA_HDRLEN, 0};
  append_raw(&a, sizeof a);
  return at;
}

void Messages::close(std::size_t at, std::uint16_t type) {
  auto* a = reinterpret_cast<nlattr*>(buf_.data() + at);
  a->nla_type = static_cast<std::uint16_t>(type | NLA_F_NESTED);
  a->nla_len = static_cast<std::uint16_t>(buf_.size() - at);
}

void Messages::add_flags(std::uint16_t flags) {
  reinterpret_cast<nlmsghdr*>(buf_.data() + current_)->nlmsg_flags |= flags;
}

void Messages::append(const Messages& other) {
  if (other.count_ == 0) return;
  std::size_t at = buf_.size();
  buf_.insert(buf_.end(), other.buf_.begin(), other.buf_.end());
  current_ = at + other.current_;
  count_ += other.count_;
}

Attributes::Attributes(const void* data, std::size_t length) {
  auto* p = static_cast<const std::uint8_t*>(data);
  while (length >= NLA_HDRLEN) {
    auto* a = reinterpret_cast<const nlattr*>(p);
    if (a->nla_len < NLA_HDRLEN || a->nla_len > length) break;
    unsigned type = a->nla_type & NLA_TYPE_MASK;
    if (type < kMax) at_[type] = a;
    std::size_t step = NLA_ALIGN(a->nla_len);
    if (step >= length) break;
    p += step;
    length -= step;
  }
}

Attributes Attributes::of_message(const nlmsghdr* h) {
  const std::size_t skip = NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(nfgenmsg));
  if (h->nlmsg_len < skip) return Attributes(nullptr, 0);
  return Attributes(reinterpret_cast<const std::uint8_t*>(h) + skip, h->nlmsg_len - skip);
}

Attributes Attributes::nested(const nlattr* a) { return Attributes(payload(a), payload_length(a)); }

const void* Attributes::payload(const nlattr* a) { return reinterpret_cast<const std::uint8_t*>(a) + NLA_HDRLEN; }

std::size_t Attributes::payload_length(const nlattr* a) { return a->nla_len - NLA_HDRLEN; }

std::string Attributes::str(int type) const {
  auto* a = at(type);
  if (!a) return {};
  auto* s = static_cast<const char*>(payload(a));
  return std::string(s, strnlen(s, payload_length(a)));
}

std::optional<std::uint32_t> Attributes::be32(int type) const {
  auto* a = at(type);
  if (!a || payload_length(a) < 4) return std::nullopt;
  std::uint32_t v;
  std::memcpy(&v, payload(a), 4);
  return ntohl(v);
}

std::optional<std::uint64_t> Attributes::be64(int type) const {
  auto* a = at(type);
  if (!a || payload_length(a) < 8) return std::nullopt;
  std::uint64_t v;
  std::memcpy(&v, payload(a), 8);
  return be64toh(v);
}

}  // namespace faultline::faults::net::netlink
