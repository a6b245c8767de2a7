#include "faults/net/shaper/nfqueue_netlink.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nf_tables_compat.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/xt_NFQUEUE.h>
#include <linux/netfilter/x_tables.h>
#include <linux/netfilter/xt_comment.h>
#include <linux/netlink.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <mutex>
#include <optional>
#include <span>
#include <vector>

#include <fmt/format.h>

#include "faults/net/command.h"

namespace faultline::faults::shaper {
namespace {

constexpr std::uint16_t msg_type(int nft_msg) { return static_cast<std::uint16_t>((NFNL_SUBSYS_NFTABLES << 8) | nft_msg); }

bool iptables_on_nf_tables() {
  static bool on = false;
  static std::once_flag once;
  std::call_once(once, [] {
    auto version = net::run_command({"iptables-restore", "--version"});
    on = version && version->out.find("nf_tables") != std::string::npos;
  });
  return on;
}

// ---- Building netlink messages (offsets, never pointers: the buffer grows).
class Writer {
 public:
  void begin(std::uint16_t type, std::uint16_t flags, std::uint8_t family, std::uint16_t res_id, std::uint32_t seq) {
    start_ = buf_.size();
    grow(NLMSG_HDRLEN);
    auto* h = header();
    h->nlmsg_type = type;
    h->nlmsg_flags = flags;
    h->nlmsg_seq = seq;
    nfgenmsg g{};
    g.nfgen_family = family;
    g.version = NFNETLINK_V0;
    g.res_id = htons(res_id);
    append(&g, sizeof g);
  }
  void end() { header()->nlmsg_len = static_cast<std::uint32_t>(buf_.size() - start_); }

  void put(std::uint16_t type, const void* data, std::size_t length) {
    nlattr a{static_cast<std::uint16_t>(NLA_HDRLEN + length), type};
    append(&a, sizeof a);
    append(data, length);
  }
  void put_str(std::uint16_t type, const std::string& s) { put(type, s.c_str(), s.size() + 1); }
  void put_be32(std::uint16_t type, std::uint32_t v) {
    v = htonl(v);
    put(type, &v, sizeof v);
  }
  void put_be64(std::uint16_t type, std::uint64_t v) {
    v = htobe64(v);
    put(type, &v, sizeof v);
  }
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
  const std::vector<std::uint8_t>& bytes() const { return buf_; }

 private:
  nlmsghdr* header() { return reinterpret_cast<nlmsghdr*>(buf_.data() + start_); }
  void grow(std::size_t n) { buf_.resize(buf_.size() + NLMSG_ALIGN(n), 0); }
  void append(const void* data, std::size_t n) {
    std::size_t at = buf_.size();
    grow(n);
    if (n) std::memcpy(buf_.data() + at, data, n);
  }
  std::vector<std::uint8_t> buf_;
  std::size_t start_ = 0;
};

// One expression of a rule: NFTA_LIST_ELEM { NAME, DATA { ... } }.
template <typename Body>
void expression(Writer& w, const char* name, Body body) {
  auto elem = w.nest();
  w.put_str(NFTA_EXPR_NAME, name);
  auto data = w.nest();
  body();
  w.close(data, NFTA_EXPR_DATA);
  w.close(elem, NFTA_LIST_ELEM);
}

void expr_meta(Writer& w, std::uint32_t key) {
  expression(w, "meta", [&] {
    w.put_be32(NFTA_META_DREG, NFT_REG_1);
    w.put_be32(NFTA_META_KEY, key);
  });
}
void expr_cmp(Writer& w, std::uint32_t op, const void* data, std::size_t length) {
  expression(w, "cmp", [&] {
    w.put_be32(NFTA_CMP_SREG, NFT_REG_1);
    w.put_be32(NFTA_CMP_OP, op);
    auto d = w.nest();
    w.put(NFTA_DATA_VALUE, data, length);
    w.close(d, NFTA_CMP_DATA);
  });
}
void expr_payload(Writer& w, std::uint32_t base, std::uint32_t offset, std::uint32_t length) {
  expression(w, "payload", [&] {
    w.put_be32(NFTA_PAYLOAD_DREG, NFT_REG_1);
    w.put_be32(NFTA_PAYLOAD_BASE, base);
    w.put_be32(NFTA_PAYLOAD_OFFSET, offset);
    w.put_be32(NFTA_PAYLOAD_LEN, length);
  });
}
void expr_comment(Writer& w, const std::string& comment) {
  expression(w, "match", [&] {
    xt_comment_info info{};
    std::memcpy(info.comment, comment.data(), std::min(comment.size(), sizeof info.comment - 1));
    w.put_str(NFTA_MATCH_NAME, "comment");
    w.put_be32(NFTA_MATCH_REV, 0);
    w.put(NFTA_MATCH_INFO, &info, XT_ALIGN(sizeof info));
  });
}
void expr_counter(Writer& w) {
  expression(w, "counter", [&] {
    w.put_be64(NFTA_COUNTER_BYTES, 0);
    w.put_be64(NFTA_COUNTER_PACKETS, 0);
  });
}
void expr_nfqueue(Writer& w, std::uint16_t queue, bool bypass) {
  expression(w, "target", [&] {
    std::uint8_t info[XT_ALIGN(sizeof(xt_NFQ_info_v3))] = {};
    xt_NFQ_info_v3 v3{};
    v3.queuenum = queue;
    v3.queues_total = 1;
    v3.flags = bypass ? NFQ_FLAG_BYPASS : 0;
    std::memcpy(info, &v3, sizeof v3);
    w.put_str(NFTA_TARGET_NAME, "NFQUEUE");
    w.put_be32(NFTA_TARGET_REV, 3);
    w.put(NFTA_TARGET_INFO, info, sizeof info);
  });
}
void expr_verdict(Writer& w, int code, const std::string& chain) {
  expression(w, "immediate", [&] {
    w.put_be32(NFTA_IMMEDIATE_DREG, NFT_REG_VERDICT);
    auto data = w.nest();
    auto verdict = w.nest();
    w.put_be32(NFTA_VERDICT_CODE, static_cast<std::uint32_t>(code));
    if (!chain.empty()) w.put_str(NFTA_VERDICT_CHAIN, chain);
    w.close(verdict, NFTA_DATA_VERDICT);
    w.close(data, NFTA_IMMEDIATE_DATA);
  });
}

// ---- The vocabulary: iptables words -> what iptables-nft 1.8 builds.
std::optional<std::uint32_t> host_address(const std::string& text) {  // A.B.C.D or A.B.C.D/32, network order
  std::string addr = text;
  if (auto slash = addr.find('/'); slash != std::string::npos) {
    if (addr.substr(slash) != "/32") return std::nullopt;
    addr.resize(slash);
  }
  in_addr a{};
  if (inet_pton(AF_INET, addr.c_str(), &a) != 1) return std::nullopt;
  return a.s_addr;
}

struct Parsed {
  std::string oif;
  bool oif_negated = false;
  std::optional<std::uint32_t> saddr, daddr;
  bool tcp = false;
  std::optional<std::uint16_t> sport;
  std::string target;  // NFQUEUE or RETURN
  std::uint16_t queue = 0;
  bool bypass = false;
};

std::optional<Parsed> parse_rule(const std::vector<std::string>& args) {
  Parsed p;
  bool negate = false;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const auto& a = args[i];
    bool has_next = i + 1 < args.size();
    if (a == "!") {
      if (negate) return std::nullopt;
      negate = true;
      continue;
    }
    if (a == "-o" && has_next) {
      p.oif = args[++i];
      p.oif_negated = negate;
      if (p.oif.empty() || p.oif.size() >= 16 || p.oif.find('+') != std::string::npos) return std::nullopt;
    } else if (negate) {
      return std::nullopt;  // only "! -o" is in the vocabulary
    } else if ((a == "-d" || a == "-s") && has_next) {
      auto addr = host_address(args[++i]);
      if (!addr) return std::nullopt;
      (a == "-d" ? p.daddr : p.saddr) = addr;
    } else if (a == "-p" && has_next) {
      if (args[++i] != "tcp") return std::nullopt;
      p.tcp = true;
    } else if (a == "--sport" && has_next && p.tcp) {
      int port = std::atoi(args[++i].c_str());
      if (port <= 0 || port > 65535) return std::nullopt;
      p.sport = static_cast<std::uint16_t>(port);
    } else if (a == "-j" && has_next) {
      p.target = args[++i];
    } else if (a == "--queue-num" && has_next && p.target == "NFQUEUE") {
      int q = std::atoi(args[++i].c_str());
      if (q < 0 || q > 65535) return std::nullopt;
      p.queue = static_cast<std::uint16_t>(q);
    } else if (a == "--queue-bypass" && p.target == "NFQUEUE") {
      p.bypass = true;
    } else {
      return std::nullopt;
    }
    negate = false;
  }
  if (negate) return std::nullopt;
  if (p.target == "NFQUEUE" && !p.saddr && !p.tcp) return p;
  if (p.target == "RETURN" && p.oif.empty() && !p.daddr && (p.tcp == p.sport.has_value())) return p;
  return std::nullopt;
}

// The expressions, in iptables-nft's order: interface, protocol, addresses,
// the compat rule info, matches (comment, then tcp), counter, verdict/target.
void rule_body(Writer& w, const Parsed& p, const std::string& comment, const std::string& table,
               const std::string& chain) {
  w.put_str(NFTA_RULE_TABLE, table);
  w.put_str(NFTA_RULE_CHAIN, chain);
  auto list = w.nest();
  if (!p.oif.empty()) {
    expr_meta(w, NFT_META_OIFNAME);
    expr_cmp(w, p.oif_negated ? NFT_CMP_NEQ : NFT_CMP_EQ, p.oif.c_str(), p.oif.size() + 1);
  }
  if (p.tcp) {
    expr_meta(w, NFT_META_L4PROTO);
    std::uint8_t proto = IPPROTO_TCP;
    expr_cmp(w, NFT_CMP_EQ, &proto, 1);
  }
  if (p.saddr) {
    expr_payload(w, NFT_PAYLOAD_NETWORK_HEADER, 12, 4);
    expr_cmp(w, NFT_CMP_EQ, &*p.saddr, 4);
  }
  if (p.daddr) {
    expr_payload(w, NFT_PAYLOAD_NETWORK_HEADER, 16, 4);
    expr_cmp(w, NFT_CMP_EQ, &*p.daddr, 4);
  }
  expr_comment(w, comment);
  if (p.sport) {
    expr_payload(w, NFT_PAYLOAD_TRANSPORT_HEADER, 0, 2);
    std::uint16_t port = htons(*p.sport);
    expr_cmp(w, NFT_CMP_EQ, &port, 2);
  }
  expr_counter(w);
  if (p.target == "NFQUEUE") expr_nfqueue(w, p.queue, p.bypass);
  else expr_verdict(w, NFT_RETURN, "");
  w.close(list, NFTA_RULE_EXPRESSIONS);
  auto compat = w.nest();
  w.put_be32(NFTA_RULE_COMPAT_PROTO, p.tcp ? IPPROTO_TCP : 0);
  w.put_be32(NFTA_RULE_COMPAT_FLAGS, 0);
  w.close(compat, NFTA_RULE_COMPAT);
}

// ---- Reading replies.
struct Attrs {
  const nlattr* at[64] = {};
  Attrs(const void* data, std::size_t length) {
    auto* p = static_cast<const std::uint8_t*>(data);
    while (length >= NLA_HDRLEN) {
      auto* a = reinterpret_cast<const nlattr*>(p);
      if (a->nla_len < NLA_HDRLEN || a->nla_len > length) break;
      unsigned type = a->nla_type & NLA_TYPE_MASK;
      if (type < 64) this->at[type] = a;
      std::size_t step = NLA_ALIGN(a->nla_len);
      if (step >= length) break;
      p += step;
      length -= step;
    }
  }
  static Attrs nested(const nlattr* a) { return Attrs(payload(a), a->nla_len - NLA_HDRLEN); }
  static const void* payload(const nlattr* a) { return reinterpret_cast<const std::uint8_t*>(a) + NLA_HDRLEN; }
  std::string str(int type) const {
    if (!at[type]) return {};
    auto* s = static_cast<const char*>(payload(at[type]));
    return std::string(s, strnlen(s, at[type]->nla_len - NLA_HDRLEN));
  }
  std::optional<std::uint32_t> be32(int type) const {
    if (!at[type] || at[type]->nla_len < NLA_HDRLEN + 4) return std::nullopt;
    std::uint32_t v;
    std::memcpy(&v, payload(at[type]), 4);
    return ntohl(v);
  }
};

struct SeenRule {
  std::string chain;
  std::uint64_t handle = 0;
  std::string comment;
  std::string jump;
};

SeenRule read_rule(const nlmsghdr* h) {
  SeenRule rule;
  auto* payload = static_cast<const std::uint8_t*>(NLMSG_DATA(h)) + NLMSG_ALIGN(sizeof(nfgenmsg));
  std::size_t length = h->nlmsg_len - NLMSG_HDRLEN - NLMSG_ALIGN(sizeof(nfgenmsg));
  Attrs attrs(payload, length);
  rule.chain = attrs.str(NFTA_RULE_CHAIN);
  if (auto* a = attrs.at[NFTA_RULE_HANDLE]; a && a->nla_len >= NLA_HDRLEN + 8) {
    std::uint64_t v;
    std::memcpy(&v, Attrs::payload(a), 8);
    rule.handle = be64toh(v);
  }
  if (auto* u = attrs.at[NFTA_RULE_USERDATA]) {  // libnftnl udata: {u8 type, u8 len, value}...; 0 = comment
    auto* p = static_cast<const std::uint8_t*>(Attrs::payload(u));
    std::size_t n = u->nla_len - NLA_HDRLEN;
    for (std::size_t i = 0; i + 2 <= n && i + 2 + p[i + 1] <= n; i += 2 + p[i + 1])
      if (p[i] == 0) rule.comment.assign(reinterpret_cast<const char*>(p + i + 2), strnlen(reinterpret_cast<const char*>(p + i + 2), p[i + 1]));
  }
  if (auto* list = attrs.at[NFTA_RULE_EXPRESSIONS]) {
    auto* p = static_cast<const std::uint8_t*>(Attrs::payload(list));
    std::size_t n = list->nla_len - NLA_HDRLEN;
    for (std::size_t off = 0; off + NLA_HDRLEN <= n;) {
      auto* elem = reinterpret_cast<const nlattr*>(p + off);
      if (elem->nla_len < NLA_HDRLEN || off + elem->nla_len > n) break;
      Attrs expr = Attrs::nested(elem);
      std::string name = expr.str(NFTA_EXPR_NAME);
      if (expr.at[NFTA_EXPR_DATA]) {
        Attrs data = Attrs::nested(expr.at[NFTA_EXPR_DATA]);
        if (name == "match" && data.str(NFTA_MATCH_NAME) == "comment" && data.at[NFTA_MATCH_INFO]) {
          auto* info = data.at[NFTA_MATCH_INFO];
          auto* s = static_cast<const char*>(Attrs::payload(info));
          rule.comment.assign(s, strnlen(s, info->nla_len - NLA_HDRLEN));
        } else if (name == "immediate" && data.at[NFTA_IMMEDIATE_DATA]) {
          Attrs value = Attrs::nested(data.at[NFTA_IMMEDIATE_DATA]);
          if (value.at[NFTA_DATA_VERDICT]) {
            Attrs verdict = Attrs::nested(value.at[NFTA_DATA_VERDICT]);
            auto code = verdict.be32(NFTA_VERDICT_CODE);
            if (code && (static_cast<int>(*code) == NFT_JUMP || static_cast<int>(*code) == NFT_GOTO))
              rule.jump = verdict.str(NFTA_VERDICT_CHAIN);
          }
        }
      }
      off += NLA_ALIGN(elem->nla_len);
    }
  }
  return rule;
}

class Netlink {
 public:
  Netlink() {
    fd_ = ::socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_NETFILTER);
    if (fd_ < 0) return;
    timeval timeout{2, 0};  // never hang the agent on a kernel that does not answer
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    sockaddr_nl local{};
    local.nl_family = AF_NETLINK;
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&local), sizeof local) != 0) {
      ::close(fd_);
      fd_ = -1;
    }
  }
  ~Netlink() {
    if (fd_ >= 0) ::close(fd_);
  }
  bool ok() const { return fd_ >= 0; }
  std::uint32_t next_seq() { return ++seq_; }

  bool send(const std::vector<std::uint8_t>& bytes) {
    sockaddr_nl kernel{};
    kernel.nl_family = AF_NETLINK;
    return ::sendto(fd_, bytes.data(), bytes.size(), 0, reinterpret_cast<sockaddr*>(&kernel), sizeof kernel) ==
           static_cast<ssize_t>(bytes.size());
  }

  // Reads replies, calling on_message for each data message, until a
  // terminating one: NLMSG_DONE (0), an ack (0), or an error (-errno).
  // acks_wanted: how many acks end the exchange (a batch has one per message).
  template <typename F>
  int receive(int acks_wanted, F on_message) {
    int acks = 0;
    for (;;) {
      ssize_t got = ::recv(fd_, buffer_.data(), buffer_.size(), 0);
      if (got < 0) {
        if (errno == EINTR) continue;
        return -errno;
      }
      int n = static_cast<int>(got);
      for (auto* h = reinterpret_cast<nlmsghdr*>(buffer_.data()); NLMSG_OK(h, n); h = NLMSG_NEXT(h, n)) {
        if (h->nlmsg_type == NLMSG_DONE) return 0;
        if (h->nlmsg_type == NLMSG_ERROR) {
          auto* e = static_cast<nlmsgerr*>(NLMSG_DATA(h));
          if (e->error != 0) return e->error;
          if (++acks >= acks_wanted) return 0;
          continue;
        }
        on_message(h);
      }
    }
  }

 private:
  int fd_ = -1;
  std::uint32_t seq_ = 0;
  std::vector<std::uint64_t> buffer_storage_ = std::vector<std::uint64_t>(8 * 1024);  // 64 KiB, aligned
  std::span<std::uint8_t> buffer_{reinterpret_cast<std::uint8_t*>(buffer_storage_.data()), 64 * 1024};
};

// The same lock IptablesChains takes around its read-modify-write batches.
class FileLock {
 public:
  FileLock() {
    fd_ = ::open("/run/faultline-iptables.lock", O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd_ >= 0) ::flock(fd_, LOCK_EX);
  }
  ~FileLock() {
    if (fd_ >= 0) ::close(fd_);
  }
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;

 private:
  int fd_ = -1;
};

bool fail(std::string* why_not, std::string why) {
  *why_not = std::move(why);
  return false;
}

}  // namespace

bool nfqueue_fast_apply(const net::IptablesOptions& options, std::string_view fault_id,
                        const std::vector<net::IptablesRule>& rules, const std::vector<net::IptablesRule>& exemptions,
                        std::string* why_not) {
  if (options.restore_program != "iptables-restore" || !iptables_on_nf_tables())
    return fail(why_not, "iptables is not on the nf_tables backend");
  const std::string comment = net::IptablesChains::tag(fault_id);
  const std::string& table = options.table;
  const std::string& chain = options.out_chain;
  std::vector<Parsed> parsed_rules, parsed_exemptions;
  for (const auto& r : rules) {
    auto p = r.hook == net::Hook::kOutput ? parse_rule(r.args) : std::nullopt;
    if (!p || p->target != "NFQUEUE") return fail(why_not, "rule outside the NFQUEUE vocabulary");
    parsed_rules.push_back(*p);
  }
  for (const auto& e : exemptions) {
    if (e.hook != net::Hook::kOutput) continue;  // our rules hook OUTPUT only, like the batch
    auto p = parse_rule(e.args);
    if (!p || p->target != "RETURN") return fail(why_not, "exemption outside the NFQUEUE vocabulary");
    parsed_exemptions.push_back(*p);
  }
  if (parsed_rules.empty()) return fail(why_not, "no rules");

  FileLock lock;
  Netlink nl;
  if (!nl.ok()) return fail(why_not, fmt::format("nf_tables netlink socket: {}", std::strerror(errno)));

  // 1. The table and its OUTPUT base chain exist (else iptables-nft makes them).
  Writer get;
  get.begin(msg_type(NFT_MSG_GETCHAIN), NLM_F_REQUEST | NLM_F_ACK, NFPROTO_IPV4, 0, nl.next_seq());
  get.put_str(NFTA_CHAIN_TABLE, table);
  get.put_str(NFTA_CHAIN_NAME, "OUTPUT");
  get.end();
  bool base_chain = false;
  if (!nl.send(get.bytes())) return fail(why_not, "netlink send failed");
  int rc = nl.receive(1, [&](const nlmsghdr* h) {
    if (h->nlmsg_type != msg_type(NFT_MSG_NEWCHAIN)) return;
    auto* payload = static_cast<const std::uint8_t*>(NLMSG_DATA(h)) + NLMSG_ALIGN(sizeof(nfgenmsg));
    Attrs attrs(payload, h->nlmsg_len - NLMSG_HDRLEN - NLMSG_ALIGN(sizeof(nfgenmsg)));
    base_chain = attrs.at[NFTA_CHAIN_HOOK] != nullptr;
  });
  if (rc != 0 || !base_chain)
    return fail(why_not, fmt::format("no {} OUTPUT base chain yet ({})", table, rc ? std::strerror(-rc) : "not a base chain"));

  // 2. What is there: this id's rules (to replace), our chain, the jump.
  Writer dump;
  dump.begin(msg_type(NFT_MSG_GETRULE), NLM_F_REQUEST | NLM_F_DUMP, NFPROTO_IPV4, 0, nl.next_seq());
  dump.put_str(NFTA_RULE_TABLE, table);
  dump.end();
  std::vector<SeenRule> ours;
  bool chain_seen = false, jump_present = false;
  if (!nl.send(dump.bytes())) return fail(why_not, "netlink send failed");
  rc = nl.receive(1, [&](const nlmsghdr* h) {
    if (h->nlmsg_type != msg_type(NFT_MSG_NEWRULE)) return;
    auto rule = read_rule(h);
    if (rule.chain == chain) chain_seen = true;
    if (rule.chain == "OUTPUT" && rule.jump == chain) jump_present = chain_seen = true;
    if (rule.comment == comment) ours.push_back(std::move(rule));
  });
  if (rc != 0) return fail(why_not, fmt::format("nf_tables rule dump: {}", std::strerror(-rc)));

  // 3. One transaction.
  Writer batch;
  // The kernel runs the whole batch inside sendto(): errors are always
  // answered; only the last message asks for an ack, which is then the first
  // answer read when nothing failed (a failed commit answers before it).
  std::size_t remaining = (chain_seen ? 0 : 1) + ours.size() + (jump_present ? 0 : 1) + parsed_exemptions.size() +
                          parsed_rules.size();
  auto message = [&](int type, std::uint16_t flags) {
    std::uint16_t ack = --remaining == 0 ? NLM_F_ACK : 0;
    batch.begin(msg_type(type), static_cast<std::uint16_t>(NLM_F_REQUEST | ack | flags), NFPROTO_IPV4, 0,
                nl.next_seq());
  };
  batch.begin(NFNL_MSG_BATCH_BEGIN, NLM_F_REQUEST, AF_UNSPEC, NFNL_SUBSYS_NFTABLES, nl.next_seq());
  batch.end();
  if (!chain_seen) {  // created if missing, left alone if there
    message(NFT_MSG_NEWCHAIN, NLM_F_CREATE);
    batch.put_str(NFTA_CHAIN_TABLE, table);
    batch.put_str(NFTA_CHAIN_NAME, chain);
    batch.end();
  }
  for (const auto& rule : ours) {
    message(NFT_MSG_DELRULE, 0);
    batch.put_str(NFTA_RULE_TABLE, table);
    batch.put_str(NFTA_RULE_CHAIN, rule.chain);
    batch.put_be64(NFTA_RULE_HANDLE, rule.handle);
    batch.end();
  }
  if (!jump_present) {  // -I OUTPUT 1 -m comment --comment faultline:jump -j CHAIN
    message(NFT_MSG_NEWRULE, NLM_F_CREATE);
    batch.put_str(NFTA_RULE_TABLE, table);
    batch.put_str(NFTA_RULE_CHAIN, "OUTPUT");
    auto list = batch.nest();
    expr_comment(batch, "faultline:jump");
    expr_counter(batch);
    expr_verdict(batch, NFT_JUMP, chain);
    batch.close(list, NFTA_RULE_EXPRESSIONS);
    auto compat = batch.nest();
    batch.put_be32(NFTA_RULE_COMPAT_PROTO, 0);
    batch.put_be32(NFTA_RULE_COMPAT_FLAGS, 0);
    batch.close(compat, NFTA_RULE_COMPAT);
    batch.end();
  }
  for (const auto& e : parsed_exemptions) {  // -I CHAIN 1 each, as the batch does
    message(NFT_MSG_NEWRULE, NLM_F_CREATE);
    rule_body(batch, e, comment, table, chain);
    batch.end();
  }
  for (const auto& r : parsed_rules) {  // -A CHAIN
    message(NFT_MSG_NEWRULE, NLM_F_CREATE | NLM_F_APPEND);
    rule_body(batch, r, comment, table, chain);
    batch.end();
  }
  batch.begin(NFNL_MSG_BATCH_END, NLM_F_REQUEST, AF_UNSPEC, NFNL_SUBSYS_NFTABLES, nl.next_seq());
  batch.end();
  if (!nl.send(batch.bytes())) return fail(why_not, "netlink send failed");
  rc = nl.receive(1, [](const nlmsghdr*) {});
  if (rc != 0) return fail(why_not, fmt::format("nf_tables refused the batch: {}", std::strerror(-rc)));
  return true;
}

}  // namespace faultline::faults::shaper
