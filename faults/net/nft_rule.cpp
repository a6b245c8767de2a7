// NftBatch::new_rule: a Rule (rule.h) as the nf_tables expressions
// iptables-nft 1.8 builds for the same iptables words (nft_netlink.h).
#include <arpa/inet.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nf_tables_compat.h>
#include <linux/netfilter/x_tables.h>
#include <linux/netfilter/xt_NFQUEUE.h>
#include <linux/netfilter/xt_comment.h>
#include <linux/netfilter/xt_conntrack.h>
#include <linux/netfilter/xt_multiport.h>
#include <linux/netfilter/xt_set.h>
#include <linux/netfilter/xt_statistic.h>
#include <netinet/in.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <fmt/format.h>

#include "faults/net/ipset.h"
#include "faults/net/nft_netlink.h"

namespace faultline::faults::net::nft {
namespace {

using netlink::Messages;

// TCP flags as --syn tests them: SYN set among FIN,SYN,RST,ACK.
constexpr std::uint8_t kTcpFlagsOffset = 13, kSynMask = 0x17, kSyn = 0x02;

// One expression of a rule: NFTA_LIST_ELEM { NAME, DATA { ... } }.
template <typename Body>
void expression(Messages& w, const char* name, Body body) {
  auto elem = w.nest();
  w.put_str(NFTA_EXPR_NAME, name);
  auto data = w.nest();
  body();
  w.close(data, NFTA_EXPR_DATA);
  w.close(elem, NFTA_LIST_ELEM);
}
void expr_meta(Messages& w, std::uint32_t key) {
  expression(w, "meta", [&] {
    w.put_be32(NFTA_META_DREG, NFT_REG_1);
    w.put_be32(NFTA_META_KEY, key);
  });
}
void expr_cmp(Messages& w, std::uint32_t op, const void* data, std::size_t length) {
  expression(w, "cmp", [&] {
    w.put_be32(NFTA_CMP_SREG, NFT_REG_1);
    w.put_be32(NFTA_CMP_OP, op);
    auto d = w.nest();
    w.put(NFTA_DATA_VALUE, data, length);
    w.close(d, NFTA_CMP_DATA);
  });
}
void expr_payload(Messages& w, std::uint32_t base, std::uint32_t offset, std::uint32_t length) {
  expression(w, "payload", [&] {
    w.put_be32(NFTA_PAYLOAD_DREG, NFT_REG_1);
    w.put_be32(NFTA_PAYLOAD_BASE, base);
    w.put_be32(NFTA_PAYLOAD_OFFSET, offset);
    w.put_be32(NFTA_PAYLOAD_LEN, length);
  });
}
void expr_bitwise(Messages& w, const void* mask, std::size_t length) {
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
// An xt match (or target) with its info block, zero-padded to XT_ALIGN.
template <typename Info>
void expr_xt(Messages& w, const char* kind, const char* name, std::uint32_t revision, const Info& info) {
  const bool match = std::strcmp(kind, "match") == 0;
  const std::uint16_t name_attr = match ? std::uint16_t{NFTA_MATCH_NAME} : std::uint16_t{NFTA_TARGET_NAME};
  const std::uint16_t rev_attr = match ? std::uint16_t{NFTA_MATCH_REV} : std::uint16_t{NFTA_TARGET_REV};
  const std::uint16_t info_attr = match ? std::uint16_t{NFTA_MATCH_INFO} : std::uint16_t{NFTA_TARGET_INFO};
  expression(w, kind, [&] {
    std::uint8_t bytes[XT_ALIGN(sizeof(Info))] = {};
    std::memcpy(bytes, &info, sizeof info);
    w.put_str(name_attr, name);
    w.put_be32(rev_attr, revision);
    w.put(info_attr, bytes, sizeof bytes);
  });
}
// libxt_statistic: --probability P is 0x80000000 * P, rounded.
void expr_statistic(Messages& w, double probability) {
  xt_statistic_info info{};
  info.mode = XT_STATISTIC_MODE_RANDOM;
  info.u.random.probability = static_cast<std::uint32_t>(
      std::lround(0x80000000 * std::strtod(probability_text(probability).c_str(), nullptr)));
  expr_xt(w, "match", "statistic", 0, info);
}
// libxt_set's --match-set NAME src|dst: one dimension, IPSET_DIM_ONE_SRC
// for src; no counter conditions, no flags.
void expr_match_set(Messages& w, std::uint16_t index, bool source) {
  xt_set_info_match_v4 info{};
  info.match_set.index = index;
  info.match_set.dim = 1;
  info.match_set.flags = source ? IPSET_DIM_ONE_SRC : 0;
  expr_xt(w, "match", "set", 4, info);
}
// libxt_multiport's --ports: a range is two slots, the first flagged.
void expr_multiport(Messages& w, const std::vector<std::pair<std::uint16_t, std::uint16_t>>& ranges) {
  xt_multiport_v1 info{};
  info.flags = XT_MULTIPORT_EITHER;
  std::uint8_t n = 0;
  for (const auto& [low, high] : ranges) {
    info.ports[n] = low;
    if (low != high) {
      info.pflags[n++] = 1;
      info.ports[n] = high;
    }
    ++n;
  }
  info.count = n;
  expr_xt(w, "match", "multiport", 1, info);
}
// libxt_conntrack's --ctstate NEW.
void expr_ctstate_new(Messages& w) {
  xt_conntrack_mtinfo3 info{};
  info.match_flags = XT_CONNTRACK_STATE;
  info.state_mask = XT_CONNTRACK_STATE_BIT(IP_CT_NEW);
  expr_xt(w, "match", "conntrack", 3, info);
}
void expr_comment(Messages& w, const std::string& comment) {
  xt_comment_info info{};
  std::memcpy(info.comment, comment.data(), std::min(comment.size(), sizeof info.comment - 1));
  expr_xt(w, "match", "comment", 0, info);
}
void expr_counter(Messages& w) {
  expression(w, "counter", [&] {
    w.put_be64(NFTA_COUNTER_BYTES, 0);
    w.put_be64(NFTA_COUNTER_PACKETS, 0);
  });
}
void expr_verdict(Messages& w, int code, const std::string& chain) {
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
void expr_nfqueue(Messages& w, std::uint16_t queue, bool bypass) {
  xt_NFQ_info_v3 info{};
  info.queuenum = queue;
  info.queues_total = 1;
  info.flags = bypass ? NFQ_FLAG_BYPASS : 0;
  expr_xt(w, "target", "NFQUEUE", 3, info);
}
// iptables-nft's add_addr: payload of the whole bytes of the prefix, a
// bitwise mask only when the prefix ends inside a byte.
void expr_address(Messages& w, std::uint32_t offset, const Ipv4Prefix& prefix) {
  if (prefix.length == 0) return;
  std::uint32_t mask = htonl(prefix.mask());
  std::uint32_t value = htonl(prefix.address) & mask;
  if (prefix.length % 8 == 0) {
    expr_payload(w, NFT_PAYLOAD_NETWORK_HEADER, offset, static_cast<std::uint32_t>(prefix.length / 8));
    expr_cmp(w, NFT_CMP_EQ, &value, static_cast<std::size_t>(prefix.length / 8));
  } else {
    expr_payload(w, NFT_PAYLOAD_NETWORK_HEADER, offset, 4);
    expr_bitwise(w, &mask, 4);
    expr_cmp(w, NFT_CMP_EQ, &value, 4);
  }
}
void expr_port(Messages& w, std::uint32_t offset, std::uint16_t port) {
  expr_payload(w, NFT_PAYLOAD_TRANSPORT_HEADER, offset, 2);
  std::uint16_t value = htons(port);
  expr_cmp(w, NFT_CMP_EQ, &value, 2);
}

std::uint8_t protocol_number(Protocol p) {
  switch (p) {
    case Protocol::kAny: return 0;
    case Protocol::kUdp: return IPPROTO_UDP;
    case Protocol::kTcp:
    case Protocol::kNotTcp: return IPPROTO_TCP;
  }
  return 0;
}

}  // namespace

Result<void> NftBatch::new_rule(const std::string& chain, const Rule& r, const NewRule& how, const SetIndex& set_index) {
  if (auto checked = r.check(); !checked) return checked;
  if (r.interface.find('+') != std::string::npos)
    return invalid_input(fmt::format("interface wildcard '{}' is not rendered over netlink", r.interface));
  std::uint16_t set = 0;
  if (r.set) {
    auto index = set_index ? set_index(r.set->name) : ipset_index(r.set->name);
    if (!index) return index.error();  // the kernel takes a reference by index, as iptables does
    set = *index;
  }
  const std::uint8_t proto = protocol_number(r.protocol);

  begin(NFT_MSG_NEWRULE, static_cast<std::uint16_t>(NLM_F_CREATE | (how.append ? NLM_F_APPEND : 0)));
  Messages& w = messages_;
  w.put_str(NFTA_RULE_TABLE, table_);
  w.put_str(NFTA_RULE_CHAIN, chain);
  auto list = w.nest();
  if (!r.interface.empty()) {
    expr_meta(w, r.hook == Hook::kInput ? NFT_META_IIFNAME : NFT_META_OIFNAME);
    expr_cmp(w, r.interface_negated ? NFT_CMP_NEQ : NFT_CMP_EQ, r.interface.c_str(), r.interface.size() + 1);
  }
  if (proto) {
    expr_meta(w, NFT_META_L4PROTO);
    expr_cmp(w, r.protocol == Protocol::kNotTcp ? NFT_CMP_NEQ : NFT_CMP_EQ, &proto, 1);
  }
  if (r.source) expr_address(w, 12, *r.source);
  if (r.destination) expr_address(w, 16, *r.destination);
  if (how.comment_match) expr_comment(w, how.comment);
  if (r.set) expr_match_set(w, set, r.set->source);
  if (!r.ports.empty()) expr_multiport(w, r.ports);
  if (r.source_port) expr_port(w, 0, *r.source_port);
  if (r.destination_port) expr_port(w, 2, *r.destination_port);
  if (r.syn_only) {
    expr_payload(w, NFT_PAYLOAD_TRANSPORT_HEADER, kTcpFlagsOffset, 1);
    expr_bitwise(w, &kSynMask, 1);
    expr_cmp(w, NFT_CMP_EQ, &kSyn, 1);
  }
  if (r.new_only) expr_ctstate_new(w);
  if (r.probability) expr_statistic(w, *r.probability);
  expr_counter(w);
  switch (r.target) {
    case Rule::Target::kDrop: expr_verdict(w, NF_DROP, ""); break;
    case Rule::Target::kAccept: expr_verdict(w, NF_ACCEPT, ""); break;
    case Rule::Target::kReturn: expr_verdict(w, NFT_RETURN, ""); break;
    case Rule::Target::kJump: expr_verdict(w, NFT_JUMP, r.jump); break;
    case Rule::Target::kNfqueue: expr_nfqueue(w, r.queue, r.queue_bypass); break;
  }
  w.close(list, NFTA_RULE_EXPRESSIONS);
  // What the xt matches check the protocol against (multiport: tcp or udp, not inverted).
  auto compat = w.nest();
  w.put_be32(NFTA_RULE_COMPAT_PROTO, proto);
  w.put_be32(NFTA_RULE_COMPAT_FLAGS, r.protocol == Protocol::kNotTcp ? NFT_RULE_COMPAT_F_INV : 0);
  w.close(compat, NFTA_RULE_COMPAT);
  if (!how.comment.empty() && !how.comment_match) {
    // The comment as rule user data (libnftnl's NFTNL_UDATA_RULE_COMMENT
    // TLV), as nft writes it; iptables-nft reads it back as -m comment. An
    // xt "comment" match expression would cost the kernel a compat match
    // per rule.
    std::string c = how.comment.substr(0, 254);
    std::vector<std::uint8_t> udata = {0, static_cast<std::uint8_t>(c.size() + 1)};
    udata.insert(udata.end(), c.begin(), c.end());
    udata.push_back(0);
    w.put(NFTA_RULE_USERDATA, udata.data(), udata.size());
  }
  w.end();
  return ok_result();
}

}  // namespace faultline::faults::net::nft
