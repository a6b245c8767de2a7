#include "faults/net/ipset.h"

#include <arpa/inet.h>
#include <linux/netfilter.h>
#include <linux/netfilter/ipset/ip_set.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <fmt/format.h>
#include <thread>

#include "faults/net/netlink/socket.h"

namespace faultline::faults::net {
namespace {

// hash:net revision 2 (kernels >= 3.4): /1../32 prefixes, nomatch. Enough
// for a list of peers, and accepted by every kernel that has hash:net.
constexpr std::uint8_t kHashNetRevision = 2;
// Elements per ADD message, so one message stays well inside a socket buffer.
constexpr std::size_t kElementsPerMessage = 1000;

// A request to the ip_set subsystem: header, protocol version, then the
// command's attributes.
netlink::Messages request(int command, std::uint16_t flags) {
  netlink::Messages m;
  m.begin(static_cast<std::uint16_t>((NFNL_SUBSYS_IPSET << 8) | command), static_cast<std::uint16_t>(NLM_F_ACK | flags),
          NFPROTO_IPV4);
  m.put_u8(IPSET_ATTR_PROTOCOL, IPSET_PROTOCOL);
  return m;
}

// The kernel's errno (or IPSET_ERR_*) of a failed exchange; 0 when it worked.
int code_of(const Result<void>& r) { return r ? 0 : (r.error().sys_errno ? r.error().sys_errno : EIO); }

std::string reason(int code) {
  switch (code) {
    case IPSET_ERR_PROTOCOL: return "kernel ip_set refused the message (protocol)";
    case IPSET_ERR_FIND_TYPE: return "kernel has no hash:net ip_set type";
    case IPSET_ERR_MAX_SETS: return "kernel's ip_set table is full (ip_set max_sets)";
    case IPSET_ERR_EXIST_SETNAME2: return "set exists";
    case IPSET_ERR_REFERENCED: return "set is still referenced by a rule";
    case IPSET_ERR_TYPE_MISMATCH: return "sets of different types";
    default: return code > IPSET_ERR_PRIVATE ? fmt::format("ip_set error {}", code) : std::string(std::strerror(code));
  }
}

Error failure(const std::string& what, const std::string& name, int code) {
  auto message = fmt::format("ipset {} {}: {}", what, name, reason(code));
  // No ip_set in this kernel (no nfnetlink subsystem) or no hash:net type.
  if (code == EPROTONOSUPPORT || code == EOPNOTSUPP || code == ENOENT || code == IPSET_ERR_FIND_TYPE ||
      code == IPSET_ERR_MAX_SETS || code == EPERM)
    return Error{ErrorCode::kUnavailable, message, code};
  return Error{ErrorCode::kIo, message, code};
}

int create(netlink::Socket& s, const std::string& name) {
  auto m = request(IPSET_CMD_CREATE, NLM_F_CREATE | NLM_F_EXCL);
  m.put_str(IPSET_ATTR_SETNAME, name);
  m.put_str(IPSET_ATTR_TYPENAME, "hash:net");
  m.put_u8(IPSET_ATTR_REVISION, kHashNetRevision);
  m.put_u8(IPSET_ATTR_FAMILY, NFPROTO_IPV4);
  m.close(m.nest(), IPSET_ATTR_DATA);
  m.end();
  return code_of(s.exchange(m));
}

// Adds the prefixes (duplicates are fine: no NLM_F_EXCL).
int add(netlink::Socket& s, const std::string& name, const std::vector<Ipv4Prefix>& prefixes) {
  for (std::size_t from = 0; from < prefixes.size(); from += kElementsPerMessage) {
    auto m = request(IPSET_CMD_ADD, 0);
    m.put_str(IPSET_ATTR_SETNAME, name);
    auto adt = m.nest();
    for (std::size_t i = from; i < std::min(prefixes.size(), from + kElementsPerMessage); ++i) {
      auto data = m.nest();
      auto ip = m.nest();
      std::uint32_t address = htonl(prefixes[i].address);
      m.put(IPSET_ATTR_IPADDR_IPV4 | NLA_F_NET_BYTEORDER, &address, sizeof address);
      m.close(ip, IPSET_ATTR_IP);
      m.put_u8(IPSET_ATTR_CIDR, static_cast<std::uint8_t>(prefixes[i].length));
      m.close(data, IPSET_ATTR_DATA);
    }
    m.close(adt, IPSET_ATTR_ADT);
    const std::uint32_t lineno = 0;  // required with ADT (reported in errors by ipset restore)
    m.put(IPSET_ATTR_LINENO, &lineno, sizeof lineno);
    m.end();
    if (int code = code_of(s.exchange(m)); code != 0) return code;
  }
  return 0;
}

int destroy(netlink::Socket& s, const std::string& name) {
  auto m = request(IPSET_CMD_DESTROY, 0);
  m.put_str(IPSET_ATTR_SETNAME, name);
  m.end();
  return code_of(s.exchange(m));
}

int swap(netlink::Socket& s, const std::string& a, const std::string& b) {
  auto m = request(IPSET_CMD_SWAP, 0);
  m.put_str(IPSET_ATTR_SETNAME, a);
  m.put_str(IPSET_ATTR_SETNAME2, b);
  m.end();
  return code_of(s.exchange(m));
}

// A create+add into a fresh set; on failure the fresh set is gone again.
int create_filled(netlink::Socket& s, const std::string& name, const std::vector<Ipv4Prefix>& prefixes) {
  if (int code = create(s, name); code != 0) return code;
  if (int code = add(s, name, prefixes); code != 0) {
    destroy(s, name);
    return code;
  }
  return 0;
}

}  // namespace

Result<void> ipset_fill(const std::string& name, const std::vector<Ipv4Prefix>& prefixes) {
  if (name.empty() || name.size() > kIpsetMaxName)
    return invalid_input(fmt::format("ipset name '{}' must be 1..{} characters", name, kIpsetMaxName));
  for (const auto& p : prefixes)
    if (p.length == 0) return invalid_input(fmt::format("ipset {}: hash:net cannot hold {}", name, p.text()));
  auto socket = netlink::Socket::open();
  if (!socket) return socket.error().with_context("ipset create " + name);
  auto& s = *socket;
  int code = create_filled(s, name, prefixes);
  if (code == 0) return ok_result();
  if (code != EEXIST) return failure("create", name, code);
  // It exists (the same fault applied again): fill a fresh set, swap it in.
  const std::string fresh = name.size() + 2 <= kIpsetMaxName ? name + "-n" : name.substr(0, kIpsetMaxName - 2) + "-n";
  destroy(s, fresh);  // left by an interrupted earlier replace, if any
  if (code = create_filled(s, fresh, prefixes); code != 0) return failure("create", fresh, code);
  code = swap(s, name, fresh);
  destroy(s, fresh);
  if (code != 0) return failure("swap", name, code);
  return ok_result();
}

Result<std::uint16_t> ipset_index(const std::string& name) {
  if (name.empty() || name.size() > kIpsetMaxName) return invalid_input(fmt::format("ipset name '{}' too long", name));
  int fd = ::socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_RAW);
  if (fd < 0) return unavailable(fmt::format("ipset index of {}: raw socket: {}", name, std::strerror(errno)));
  ip_set_req_get_set req{};
  req.op = IP_SET_OP_GET_BYNAME;
  req.version = IPSET_PROTOCOL;
  std::memcpy(req.set.name, name.data(), name.size());
  socklen_t size = sizeof req;
  int rc = ::getsockopt(fd, SOL_IP, SO_IP_SET, &req, &size);
  int err = errno;
  ::close(fd);
  if (rc != 0) return unavailable(fmt::format("ipset index of {}: {}", name, std::strerror(err)));
  if (req.set.index == IPSET_INVALID_ID) return io_error(fmt::format("ipset {} does not exist", name));
  return static_cast<std::uint16_t>(req.set.index);
}

Result<void> ipset_destroy(const std::string& name) {
  using namespace std::chrono;
  const auto deadline = steady_clock::now() + seconds(2);
  auto socket = netlink::Socket::open();
  if (!socket) return ok_result();  // no netfilter netlink: no ip_set, so no set of ours either
  for (auto pause = microseconds(200);; pause = std::min(pause * 2, microseconds(20'000))) {
    int code = destroy(*socket, name);
    if (code == 0 || code == ENOENT) return ok_result();
    // No ip_set at all: then there is no set of ours either.
    if (code == EPROTONOSUPPORT || code == EOPNOTSUPP) return ok_result();
    if (code != IPSET_ERR_REFERENCED || steady_clock::now() > deadline) return failure("destroy", name, code);
    std::this_thread::sleep_for(pause);  // a deleted rule's reference, released after a grace period
  }
}

bool ipset_exists(const std::string& name) { return ipset_index(name).ok(); }

}  // namespace faultline::faults::net
