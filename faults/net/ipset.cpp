#include "faults/net/ipset.h"

#include <arpa/inet.h>
#include <linux/netfilter.h>
#include <linux/netfilter/ipset/ip_set.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <fmt/format.h>
#include <thread>

namespace faultline::faults::net {
namespace {

// hash:net revision 2 (kernels >= 3.4): /1../32 prefixes, nomatch. Enough
// for a list of peers, and accepted by every kernel that has hash:net.
constexpr std::uint8_t kHashNetRevision = 2;
// Elements per ADD message, so one message stays well inside a socket buffer.
constexpr std::size_t kElementsPerMessage = 1000;

std::uint32_t next_seq() {
  static std::atomic<std::uint32_t> seq{static_cast<std::uint32_t>(::getpid()) << 12};
  return ++seq;
}

// A netlink message under construction (attributes appended, nests patched).
class Message {
 public:
  Message(int command, std::uint16_t flags) {
    buf_.resize(NLMSG_HDRLEN);
    auto* h = header();
    h->nlmsg_type = static_cast<std::uint16_t>((NFNL_SUBSYS_IPSET << 8) | command);
    h->nlmsg_flags = static_cast<std::uint16_t>(NLM_F_REQUEST | NLM_F_ACK | flags);
    h->nlmsg_seq = next_seq();
    nfgenmsg g{};
    g.nfgen_family = NFPROTO_IPV4;
    g.version = NFNETLINK_V0;
    append(&g, sizeof g);
    put_u8(IPSET_ATTR_PROTOCOL, IPSET_PROTOCOL);
  }
  void put(std::uint16_t type, const void* data, std::size_t length) {
    nlattr a{static_cast<std::uint16_t>(NLA_HDRLEN + length), type};
    append(&a, sizeof a);
    append(data, length);
  }
  void put_u8(std::uint16_t type, std::uint8_t v) { put(type, &v, 1); }
  void put_str(std::uint16_t type, const std::string& s) { put(type, s.c_str(), s.size() + 1); }
  std::size_t nest() {
    std::size_t at = buf_.size();
    nlattr a{NLA_HDRLEN, 0};
    append(&a, sizeof a);
    return at;
  }
  void close(std::size_t at, std::uint16_t type) {
    auto* a = reinterpret_cast<nlattr*>(buf_.data() + at);
    a->nla_type = static_cast<std::uint16_t>(type | NLA_F_NESTED);
    a->nla_len = static_cast<std::uint16_t>(buf_.size() - at);
  }
  const std::vector<std::uint8_t>& bytes() {
    header()->nlmsg_len = static_cast<std::uint32_t>(buf_.size());
    return buf_;
  }
  std::uint32_t seq() { return header()->nlmsg_seq; }

 private:
  nlmsghdr* header() { return reinterpret_cast<nlmsghdr*>(buf_.data()); }
  void append(const void* data, std::size_t n) {
    std::size_t at = buf_.size();
    buf_.resize(at + NLMSG_ALIGN(n), 0);
    if (n) std::memcpy(buf_.data() + at, data, n);
  }
  std::vector<std::uint8_t> buf_;
};

// A netlink socket for ipset requests: one per public call, however many
// requests it makes. Each exchange: the request, then its ack.
class Channel {
 public:
  Channel() : fd_(::socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_NETFILTER)) {
    if (fd_ < 0) return;
    timeval timeout{2, 0};  // never hang the agent on a kernel that does not answer
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    int one = 1;  // errors without the request echoed back
    ::setsockopt(fd_, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof one);
  }
  ~Channel() {
    if (fd_ >= 0) ::close(fd_);
  }
  Channel(const Channel&) = delete;
  Channel& operator=(const Channel&) = delete;

  // 0 or -errno / -IPSET_ERR_*.
  int exchange(Message& m) {
    if (fd_ < 0) return -EPROTONOSUPPORT;
    sockaddr_nl kernel{};
    kernel.nl_family = AF_NETLINK;
    const auto& bytes = m.bytes();
    if (::sendto(fd_, bytes.data(), bytes.size(), 0, reinterpret_cast<sockaddr*>(&kernel), sizeof kernel) !=
        static_cast<ssize_t>(bytes.size()))
      return -errno;
    alignas(nlmsghdr) std::uint8_t reply[8192];
    for (;;) {
      ssize_t got = ::recv(fd_, reply, sizeof reply, 0);
      if (got < 0) {
        if (errno == EINTR) continue;
        return -errno;
      }
      int n = static_cast<int>(got);
      for (auto* h = reinterpret_cast<nlmsghdr*>(reply); NLMSG_OK(h, n); h = NLMSG_NEXT(h, n))
        if (h->nlmsg_seq == m.seq() && h->nlmsg_type == NLMSG_ERROR) return static_cast<nlmsgerr*>(NLMSG_DATA(h))->error;
      // anything else: a stale answer to an earlier request; read on
    }
  }

 private:
  int fd_;
};

std::string reason(int rc) {
  switch (-rc) {
    case IPSET_ERR_PROTOCOL: return "kernel ip_set refused the message (protocol)";
    case IPSET_ERR_FIND_TYPE: return "kernel has no hash:net ip_set type";
    case IPSET_ERR_MAX_SETS: return "kernel's ip_set table is full (ip_set max_sets)";
    case IPSET_ERR_EXIST_SETNAME2: return "set exists";
    case IPSET_ERR_REFERENCED: return "set is still referenced by a rule";
    case IPSET_ERR_TYPE_MISMATCH: return "sets of different types";
    default: return rc < -IPSET_ERR_PRIVATE ? fmt::format("ip_set error {}", -rc) : std::string(std::strerror(-rc));
  }
}

Error failure(const std::string& what, const std::string& name, int rc) {
  auto message = fmt::format("ipset {} {}: {}", what, name, reason(rc));
  // No ip_set in this kernel (no nfnetlink subsystem) or no hash:net type.
  if (rc == -EPROTONOSUPPORT || rc == -EOPNOTSUPP || rc == -ENOENT || rc == -IPSET_ERR_FIND_TYPE ||
      rc == -IPSET_ERR_MAX_SETS || rc == -EPERM)
    return unavailable(message);
  return io_error(message);
}

int create(Channel& c, const std::string& name) {
  Message m(IPSET_CMD_CREATE, NLM_F_CREATE | NLM_F_EXCL);
  m.put_str(IPSET_ATTR_SETNAME, name);
  m.put_str(IPSET_ATTR_TYPENAME, "hash:net");
  m.put_u8(IPSET_ATTR_REVISION, kHashNetRevision);
  m.put_u8(IPSET_ATTR_FAMILY, NFPROTO_IPV4);
  m.close(m.nest(), IPSET_ATTR_DATA);
  return c.exchange(m);
}

// Adds the prefixes (duplicates are fine: no NLM_F_EXCL).
int add(Channel& c, const std::string& name, const std::vector<Ipv4Prefix>& prefixes) {
  for (std::size_t from = 0; from < prefixes.size(); from += kElementsPerMessage) {
    Message m(IPSET_CMD_ADD, 0);
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
    if (int rc = c.exchange(m); rc != 0) return rc;
  }
  return 0;
}

int destroy(Channel& c, const std::string& name) {
  Message m(IPSET_CMD_DESTROY, 0);
  m.put_str(IPSET_ATTR_SETNAME, name);
  return c.exchange(m);
}

int swap(Channel& c, const std::string& a, const std::string& b) {
  Message m(IPSET_CMD_SWAP, 0);
  m.put_str(IPSET_ATTR_SETNAME, a);
  m.put_str(IPSET_ATTR_SETNAME2, b);
  return c.exchange(m);
}

// A create+add into a fresh set; on failure the fresh set is gone again.
int create_filled(Channel& c, const std::string& name, const std::vector<Ipv4Prefix>& prefixes) {
  if (int rc = create(c, name); rc != 0) return rc;
  if (int rc = add(c, name, prefixes); rc != 0) {
    destroy(c, name);
    return rc;
  }
  return 0;
}

}  // namespace

Result<void> ipset_fill(const std::string& name, const std::vector<Ipv4Prefix>& prefixes) {
  if (name.empty() || name.size() > kIpsetMaxName)
    return invalid_input(fmt::format("ipset name '{}' must be 1..{} characters", name, kIpsetMaxName));
  for (const auto& p : prefixes)
    if (p.length == 0) return invalid_input(fmt::format("ipset {}: hash:net cannot hold {}", name, p.text()));
  Channel c;
  int rc = create_filled(c, name, prefixes);
  if (rc == 0) return ok_result();
  if (rc != -EEXIST) return failure("create", name, rc);
  // It exists (the same fault applied again): fill a fresh set, swap it in.
  const std::string fresh = name.size() + 2 <= kIpsetMaxName ? name + "-n" : name.substr(0, kIpsetMaxName - 2) + "-n";
  destroy(c, fresh);  // left by an interrupted earlier replace, if any
  if (rc = create_filled(c, fresh, prefixes); rc != 0) return failure("create", fresh, rc);
  rc = swap(c, name, fresh);
  destroy(c, fresh);
  if (rc != 0) return failure("swap", name, rc);
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
  Channel c;
  for (auto pause = microseconds(200);; pause = std::min(pause * 2, microseconds(20'000))) {
    int rc = destroy(c, name);
    if (rc == 0 || rc == -ENOENT) return ok_result();
    // No ip_set at all: then there is no set of ours either.
    if (rc == -EPROTONOSUPPORT || rc == -EOPNOTSUPP) return ok_result();
    if (rc != -IPSET_ERR_REFERENCED || steady_clock::now() > deadline) return failure("destroy", name, rc);
    std::this_thread::sleep_for(pause);  // a deleted rule's reference, released after a grace period
  }
}

bool ipset_exists(const std::string& name) { return ipset_index(name).ok(); }

}  // namespace faultline::faults::net
