#include "faults/net/nft_netlink.h"

#include <arpa/inet.h>
#include <endian.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nf_tables_compat.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/x_tables.h>
#include <linux/netfilter/xt_NFQUEUE.h>
#include <linux/netfilter/xt_comment.h>
#include <linux/netfilter/xt_set.h>
#include <linux/netfilter/xt_statistic.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <mutex>

#include "faults/net/command.h"

namespace faultline::faults::net::nft {
namespace {

constexpr std::uint16_t msg_type(int nft_msg) { return static_cast<std::uint16_t>((NFNL_SUBSYS_NFTABLES << 8) | nft_msg); }

std::uint32_t next_seq() {
  static std::atomic<std::uint32_t> seq{static_cast<std::uint32_t>(::getpid()) << 12};
  return ++seq;
}

// Appends netlink headers/attributes to a byte buffer (offsets, never
// pointers kept: the buffer grows).
struct Out {
  std::vector<std::uint8_t>& buf;
  void append(const void* data, std::size_t n) {
    std::size_t at = buf.size();
    buf.resize(at + NLMSG_ALIGN(n), 0);
    if (n) std::memcpy(buf.data() + at, data, n);
  }
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
    std::size_t at = buf.size();
    nlattr a{NLA_HDRLEN, 0};
    append(&a, sizeof a);
    return at;
  }
  void close(std::size_t at, std::uint16_t type) {
    auto* a = reinterpret_cast<nlattr*>(buf.data() + at);
    a->nla_type = static_cast<std::uint16_t>(type | NLA_F_NESTED);
    a->nla_len = static_cast<std::uint16_t>(buf.size() - at);
  }
};

std::size_t begin_message(std::vector<std::uint8_t>& buf, std::uint16_t type, std::uint16_t flags, std::uint8_t family,
                          std::uint16_t res_id) {
  std::size_t start = buf.size();
  buf.resize(start + NLMSG_HDRLEN, 0);
  auto* h = reinterpret_cast<nlmsghdr*>(buf.data() + start);
  h->nlmsg_type = type;
  h->nlmsg_flags = flags;
  h->nlmsg_seq = next_seq();
  nfgenmsg g{};
  g.nfgen_family = family;
  g.version = NFNETLINK_V0;
  g.res_id = htons(res_id);
  Out{buf}.append(&g, sizeof g);
  return start;
}
void end_message(std::vector<std::uint8_t>& buf, std::size_t start) {
  reinterpret_cast<nlmsghdr*>(buf.data() + start)->nlmsg_len = static_cast<std::uint32_t>(buf.size() - start);
}

// One expression of a rule: NFTA_LIST_ELEM { NAME, DATA { ... } }.
template <typename Body>
void expression(Out& w, const char* name, Body body) {
  auto elem = w.nest();
  w.put_str(NFTA_EXPR_NAME, name);
  auto data = w.nest();
  body();
  w.close(data, NFTA_EXPR_DATA);
  w.close(elem, NFTA_LIST_ELEM);
}
void expr_meta(Out& w, std::uint32_t key) {
  expression(w, "meta", [&] {
    w.put_be32(NFTA_META_DREG, NFT_REG_1);
    w.put_be32(NFTA_META_KEY, key);
  });
}
void expr_cmp(Out& w, std::uint32_t op, const void* data, std::size_t length) {
  expression(w, "cmp", [&] {
    w.put_be32(NFTA_CMP_SREG, NFT_REG_1);
    w.put_be32(NFTA_CMP_OP, op);
    auto d = w.nest();
    w.put(NFTA_DATA_VALUE, data, length);
    w.close(d, NFTA_CMP_DATA);
  });
}
void expr_payload(Out& w, std::uint32_t base, std::uint32_t offset, std::uint32_t length) {
  expression(w, "payload", [&] {
    w.put_be32(NFTA_PAYLOAD_DREG, NFT_REG_1);
    w.put_be32(NFTA_PAYLOAD_BASE, base);
    w.put_be32(NFTA_PAYLOAD_OFFSET, offset);
    w.put_be32(NFTA_PAYLOAD_LEN, length);
  });
}
void expr_bitwise(Out& w, const void* mask, std::size_t length) {
  expression(w, "bitwise", [&] {
    w.put_be32(NFTA_BITWISE_SREG, NFT_REG_1);
    w.put_be32(NFTA_BITWISE_DREG, NFT_REG_1);
    w.put_be32(NFTA_BITWISE_LEN, static_cast<std::uint32_t>(length));
    auto m = w.nest();
    w.put(NFTA_DATA_VALUE, mask, length);
    w.close(m, NFTA_BITWISE_MASK);
    std::uint8_t zero[16] = {};
    auto x = w.nest();
    w.put(NFTA_DATA_VALUE, zero, length);
    w.close(x, NFTA_BITWISE_XOR);
  });
}
void expr_statistic(Out& w, std::uint32_t probability) {
  expression(w, "match", [&] {
    std::uint8_t bytes[XT_ALIGN(sizeof(xt_statistic_info))] = {};
    xt_statistic_info info{};
    info.mode = XT_STATISTIC_MODE_RANDOM;
    info.u.random.probability = probability;
    std::memcpy(bytes, &info, sizeof info);
    w.put_str(NFTA_MATCH_NAME, "statistic");
    w.put_be32(NFTA_MATCH_REV, 0);
    w.put(NFTA_MATCH_INFO, bytes, sizeof bytes);
  });
}
// libxt_set's --match-set NAME src|dst: one dimension, IPSET_DIM_ONE_SRC
// for src; no counter conditions, no flags.
void expr_match_set(Out& w, const RuleSpec::MatchSet& set) {
  expression(w, "match", [&] {
    std::uint8_t bytes[XT_ALIGN(sizeof(xt_set_info_match_v4))] = {};
    xt_set_info_match_v4 info{};
    info.match_set.index = set.index;
    info.match_set.dim = 1;
    info.match_set.flags = set.source ? IPSET_DIM_ONE_SRC : 0;
    std::memcpy(bytes, &info, sizeof info);
    w.put_str(NFTA_MATCH_NAME, "set");
    w.put_be32(NFTA_MATCH_REV, 4);
    w.put(NFTA_MATCH_INFO, bytes, sizeof bytes);
  });
}
void expr_comment(Out& w, const std::string& comment) {
  expression(w, "match", [&] {
    xt_comment_info info{};
    std::memcpy(info.comment, comment.data(), std::min(comment.size(), sizeof info.comment - 1));
    w.put_str(NFTA_MATCH_NAME, "comment");
    w.put_be32(NFTA_MATCH_REV, 0);
    w.put(NFTA_MATCH_INFO, &info, XT_ALIGN(sizeof info));
  });
}
void expr_counter(Out& w) {
  expression(w, "counter", [&] {
    w.put_be64(NFTA_COUNTER_BYTES, 0);
    w.put_be64(NFTA_COUNTER_PACKETS, 0);
  });
}
void expr_verdict(Out& w, int code, const std::string& chain) {
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
void expr_nfqueue(Out& w, const NfqueueTarget& target) {
  expression(w, "target", [&] {
    std::uint8_t info[XT_ALIGN(sizeof(xt_NFQ_info_v3))] = {};
    xt_NFQ_info_v3 v3{};
    v3.queuenum = target.queue;
    v3.queues_total = 1;
    v3.flags = target.bypass ? NFQ_FLAG_BYPASS : 0;
    std::memcpy(info, &v3, sizeof v3);
    w.put_str(NFTA_TARGET_NAME, "NFQUEUE");
    w.put_be32(NFTA_TARGET_REV, 3);
    w.put(NFTA_TARGET_INFO, info, sizeof info);
  });
}
// iptables-nft's add_addr: payload of the whole bytes of the prefix, a
// bitwise mask only when the prefix ends inside a byte.
void expr_address(Out& w, std::uint32_t offset, std::uint32_t address, int prefix) {
  std::uint32_t mask = prefix == 0 ? 0 : htonl(~std::uint32_t{0} << (32 - prefix));
  std::uint32_t value = address & mask;
  if (prefix % 8 == 0) {
    expr_payload(w, NFT_PAYLOAD_NETWORK_HEADER, offset, static_cast<std::uint32_t>(prefix / 8));
    expr_cmp(w, NFT_CMP_EQ, &value, static_cast<std::size_t>(prefix / 8));
  } else {
    expr_payload(w, NFT_PAYLOAD_NETWORK_HEADER, offset, 4);
    expr_bitwise(w, &mask, 4);
    expr_cmp(w, NFT_CMP_EQ, &value, 4);
  }
}
void expr_interface(Out& w, std::uint32_t key, const std::string& name, bool negated) {
  expr_meta(w, key);
  expr_cmp(w, negated ? NFT_CMP_NEQ : NFT_CMP_EQ, name.c_str(), name.size() + 1);
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
  static Attrs of_message(const nlmsghdr* h) {
    auto* payload = static_cast<const std::uint8_t*>(NLMSG_DATA(h)) + NLMSG_ALIGN(sizeof(nfgenmsg));
    return Attrs(payload, h->nlmsg_len - NLMSG_HDRLEN - NLMSG_ALIGN(sizeof(nfgenmsg)));
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

SeenRule read_rule(const nlmsghdr* h) {
  SeenRule rule;
  Attrs attrs = Attrs::of_message(h);
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
      if (p[i] == 0)
        rule.comment.assign(reinterpret_cast<const char*>(p + i + 2),
                            strnlen(reinterpret_cast<const char*>(p + i + 2), p[i + 1]));
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

}  // namespace

bool iptables_on_nf_tables() {
  static bool on = false;
  static std::once_flag once;
  std::call_once(once, [] {
    auto version = run_command({"iptables-restore", "--version"});
    on = version && version->exit_code == 0 && version->out.find("nf_tables") != std::string::npos;
  });
  return on;
}

// ---- NftBatch

NftBatch::NftBatch(std::string table) : table_(std::move(table)) {
  std::size_t at = begin_message(buf_, NFNL_MSG_BATCH_BEGIN, NLM_F_REQUEST, AF_UNSPEC, NFNL_SUBSYS_NFTABLES);
  end_message(buf_, at);
}

void NftBatch::begin(int type, std::uint16_t flags) {
  last_ = start_ = begin_message(buf_, msg_type(type), static_cast<std::uint16_t>(NLM_F_REQUEST | flags), NFPROTO_IPV4, 0);
  ++messages_;
}

void NftBatch::new_chain(const std::string& chain) {
  begin(NFT_MSG_NEWCHAIN, NLM_F_CREATE);
  Out w{buf_};
  w.put_str(NFTA_CHAIN_TABLE, table_);
  w.put_str(NFTA_CHAIN_NAME, chain);
  end_message(buf_, start_);
}

void NftBatch::delete_chain(const std::string& chain) {
  begin(NFT_MSG_DELCHAIN, 0);
  Out w{buf_};
  w.put_str(NFTA_CHAIN_TABLE, table_);
  w.put_str(NFTA_CHAIN_NAME, chain);
  end_message(buf_, start_);
}

void NftBatch::delete_rule(const std::string& chain, std::uint64_t handle) {
  begin(NFT_MSG_DELRULE, 0);
  Out w{buf_};
  w.put_str(NFTA_RULE_TABLE, table_);
  w.put_str(NFTA_RULE_CHAIN, chain);
  w.put_be64(NFTA_RULE_HANDLE, handle);
  end_message(buf_, start_);
}

// The expressions in iptables-nft's order: interfaces, protocol, addresses,
// (xt comment match), tcp/udp ports, set, statistic, counter, verdict or NFQUEUE
// target; otherwise the comment as user data.
void NftBatch::new_rule(const std::string& chain, const RuleSpec& r, const std::string& comment, bool append) {
  begin(NFT_MSG_NEWRULE, static_cast<std::uint16_t>(NLM_F_CREATE | (append ? NLM_F_APPEND : 0)));
  Out w{buf_};
  w.put_str(NFTA_RULE_TABLE, table_);
  w.put_str(NFTA_RULE_CHAIN, chain);
  auto list = w.nest();
  if (!r.iif.empty()) expr_interface(w, NFT_META_IIFNAME, r.iif, r.iif_negated);
  if (!r.oif.empty()) expr_interface(w, NFT_META_OIFNAME, r.oif, r.oif_negated);
  if (r.proto) {
    expr_meta(w, NFT_META_L4PROTO);
    expr_cmp(w, NFT_CMP_EQ, &r.proto, 1);
  }
  if (r.saddr && r.saddr->second > 0) expr_address(w, 12, r.saddr->first, r.saddr->second);
  if (r.daddr && r.daddr->second > 0) expr_address(w, 16, r.daddr->first, r.daddr->second);
  if (r.comment_match) expr_comment(w, comment);
  if (r.sport) {
    expr_payload(w, NFT_PAYLOAD_TRANSPORT_HEADER, 0, 2);
    std::uint16_t port = htons(*r.sport);
    expr_cmp(w, NFT_CMP_EQ, &port, 2);
  }
  if (r.dport) {
    expr_payload(w, NFT_PAYLOAD_TRANSPORT_HEADER, 2, 2);
    std::uint16_t port = htons(*r.dport);
    expr_cmp(w, NFT_CMP_EQ, &port, 2);
  }
  if (r.match_set) expr_match_set(w, *r.match_set);
  if (r.statistic_probability) expr_statistic(w, *r.statistic_probability);
  expr_counter(w);
  if (r.nfqueue) expr_nfqueue(w, *r.nfqueue);
  else if (!r.jump.empty()) expr_verdict(w, NFT_JUMP, r.jump);
  else expr_verdict(w, r.verdict, "");
  w.close(list, NFTA_RULE_EXPRESSIONS);
  auto compat = w.nest();
  w.put_be32(NFTA_RULE_COMPAT_PROTO, r.proto);
  w.put_be32(NFTA_RULE_COMPAT_FLAGS, 0);
  w.close(compat, NFTA_RULE_COMPAT);
  if (!comment.empty() && !r.comment_match) {
    // The comment as rule user data (libnftnl's NFTNL_UDATA_RULE_COMMENT
    // TLV), as nft writes it; iptables-nft reads it back as -m comment. An
    // xt "comment" match expression would cost the kernel a compat match
    // per rule.
    std::string c = comment.substr(0, 254);
    std::vector<std::uint8_t> udata = {0, static_cast<std::uint8_t>(c.size() + 1)};
    udata.insert(udata.end(), c.begin(), c.end());
    udata.push_back(0);
    w.put(NFTA_RULE_USERDATA, udata.data(), udata.size());
  }
  end_message(buf_, start_);
}

// ---- NftSocket

NftSocket::NftSocket() : buffer_(8 * 1024) {  // 64 KiB
  fd_ = ::socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_NETFILTER);
  if (fd_ < 0) return;
  timeval timeout{2, 0};  // never hang the agent on a kernel that does not answer
  ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  int one = 1;  // errors without the whole request echoed back
  ::setsockopt(fd_, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof one);
  sockaddr_nl local{};
  local.nl_family = AF_NETLINK;
  if (::bind(fd_, reinterpret_cast<sockaddr*>(&local), sizeof local) != 0) {
    ::close(fd_);
    fd_ = -1;
  }
}

NftSocket::~NftSocket() {
  if (fd_ >= 0) ::close(fd_);
}

void NftSocket::drain() {
  auto* data = reinterpret_cast<std::uint8_t*>(buffer_.data());
  while (::recv(fd_, data, buffer_.size() * sizeof(std::uint64_t), MSG_DONTWAIT) > 0) {
  }
}

bool NftSocket::send(const std::vector<std::uint8_t>& bytes) {
  drain();  // what an earlier failed exchange left unread
  sockaddr_nl kernel{};
  kernel.nl_family = AF_NETLINK;
  return ::sendto(fd_, bytes.data(), bytes.size(), 0, reinterpret_cast<sockaddr*>(&kernel), sizeof kernel) ==
         static_cast<ssize_t>(bytes.size());
}

// Reads replies, calling on_message for each data message, until the first
// terminating one: NLMSG_DONE (0), an ack (0) or an error (-errno).
template <typename F>
int NftSocket::receive(F on_message) {
  auto* data = reinterpret_cast<std::uint8_t*>(buffer_.data());
  const std::size_t size = buffer_.size() * sizeof(std::uint64_t);
  for (;;) {
    ssize_t got = ::recv(fd_, data, size, 0);
    if (got < 0) {
      if (errno == EINTR) continue;
      return -errno;
    }
    int n = static_cast<int>(got);
    for (auto* h = reinterpret_cast<nlmsghdr*>(data); NLMSG_OK(h, n); h = NLMSG_NEXT(h, n)) {
      if (h->nlmsg_type == NLMSG_DONE) return 0;
      if (h->nlmsg_type == NLMSG_ERROR) return static_cast<nlmsgerr*>(NLMSG_DATA(h))->error;
      on_message(h);
    }
  }
}

// One GET request for a table's chain or rules (the chain, when given, filters
// it); calls on_reply for each answer of the matching NEW type. A missing
// table or chain (ENOENT) is an empty answer.
template <typename F>
int NftSocket::query(int get_type, std::uint16_t flags, const std::string& table, const std::string& chain,
                     F on_reply) {
  const bool chains = get_type == NFT_MSG_GETCHAIN;
  std::vector<std::uint8_t> buf;
  auto at = begin_message(buf, msg_type(get_type), static_cast<std::uint16_t>(NLM_F_REQUEST | flags), NFPROTO_IPV4, 0);
  Out w{buf};
  const std::uint16_t table_attr = chains ? std::uint16_t{NFTA_CHAIN_TABLE} : std::uint16_t{NFTA_RULE_TABLE};
  const std::uint16_t chain_attr = chains ? std::uint16_t{NFTA_CHAIN_NAME} : std::uint16_t{NFTA_RULE_CHAIN};
  w.put_str(table_attr, table);
  if (!chain.empty()) w.put_str(chain_attr, chain);
  end_message(buf, at);
  if (!send(buf)) return -errno;
  const std::uint16_t reply_type = msg_type(chains ? NFT_MSG_NEWCHAIN : NFT_MSG_NEWRULE);
  int rc = receive([&](const nlmsghdr* h) {
    if (h->nlmsg_type == reply_type) on_reply(h);
  });
  return rc == -ENOENT ? 0 : rc;
}

int NftSocket::get_chain(const std::string& table, const std::string& chain, bool* exists, bool* base) {
  *exists = *base = false;
  return query(NFT_MSG_GETCHAIN, NLM_F_ACK, table, chain, [&](const nlmsghdr* h) {
    *exists = true;
    *base = Attrs::of_message(h).at[NFTA_CHAIN_HOOK] != nullptr;
  });
}

int NftSocket::dump_chain(const std::string& table, const std::string& chain, std::vector<SeenRule>* rules) {
  return query(NFT_MSG_GETRULE, NLM_F_DUMP, table, chain, [&](const nlmsghdr* h) {
    auto rule = read_rule(h);
    if (rule.chain == chain) rules->push_back(std::move(rule));  // older kernels ignore the chain filter
  });
}

int NftSocket::dump_table(const std::string& table, std::vector<SeenRule>* rules) {
  return query(NFT_MSG_GETRULE, NLM_F_DUMP, table, "", [&](const nlmsghdr* h) { rules->push_back(read_rule(h)); });
}

int NftSocket::commit(NftBatch& batch) {
  if (batch.messages_ == 0) return 0;
  // The kernel runs the whole batch inside sendto(): errors are always
  // answered; only the last message asks for an ack, which is then the first
  // answer read when nothing failed (a failed commit answers before it).
  reinterpret_cast<nlmsghdr*>(batch.buf_.data() + batch.last_)->nlmsg_flags |= NLM_F_ACK;
  std::vector<std::uint8_t> bytes = batch.buf_;
  auto at = begin_message(bytes, NFNL_MSG_BATCH_END, NLM_F_REQUEST, AF_UNSPEC, NFNL_SUBSYS_NFTABLES);
  end_message(bytes, at);
  if (!send(bytes)) return -errno;
  return receive([](const nlmsghdr*) {});
}

}  // namespace faultline::faults::net::nft
