#include "faults/net/nft_netlink.h"

#include <netinet/in.h>  // before any linux/ header: glibc's in.h then tells linux/in.h what it defines
#include <linux/netfilter.h>
#include <linux/netfilter_ipv4.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nf_tables_compat.h>
#include <linux/netfilter/nfnetlink.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <fmt/format.h>
#include <mutex>

#include "faults/net/command.h"

namespace faultline::faults::net::nft {
namespace {

using netlink::Attributes;

constexpr std::uint16_t msg_type(int nft_msg) { return static_cast<std::uint16_t>((NFNL_SUBSYS_NFTABLES << 8) | nft_msg); }

// libnftnl udata: {u8 type, u8 len, value}...; type 0 is the comment.
std::string udata_comment(const nlattr* u) {
  auto* p = static_cast<const std::uint8_t*>(Attributes::payload(u));
  std::size_t n = Attributes::payload_length(u);
  std::string comment;
  for (std::size_t i = 0; i + 2 <= n && i + 2 + p[i + 1] <= n; i += 2 + p[i + 1])
    if (p[i] == 0)
      comment.assign(reinterpret_cast<const char*>(p + i + 2), strnlen(reinterpret_cast<const char*>(p + i + 2), p[i + 1]));
  return comment;
}

SeenRule read_rule(const nlmsghdr* h) {
  SeenRule rule;
  Attributes attrs = Attributes::of_message(h);
  rule.chain = attrs.str(NFTA_RULE_CHAIN);
  rule.handle = attrs.be64(NFTA_RULE_HANDLE).value_or(0);
  if (auto* u = attrs.at(NFTA_RULE_USERDATA)) rule.comment = udata_comment(u);
  if (auto* list = attrs.at(NFTA_RULE_EXPRESSIONS)) {
    netlink::for_each_in(list, [&](const nlattr* elem) {
      Attributes expr = Attributes::nested(elem);
      const std::string name = expr.str(NFTA_EXPR_NAME);
      if (!expr.at(NFTA_EXPR_DATA)) return;
      Attributes data = Attributes::nested(expr.at(NFTA_EXPR_DATA));
      if (name == "match" && data.str(NFTA_MATCH_NAME) == "comment" && data.at(NFTA_MATCH_INFO)) {
        auto* info = data.at(NFTA_MATCH_INFO);
        auto* s = static_cast<const char*>(Attributes::payload(info));
        rule.comment.assign(s, strnlen(s, Attributes::payload_length(info)));
      } else if (name == "immediate" && data.at(NFTA_IMMEDIATE_DATA)) {
        Attributes value = Attributes::nested(data.at(NFTA_IMMEDIATE_DATA));
        if (!value.at(NFTA_DATA_VERDICT)) return;
        Attributes verdict = Attributes::nested(value.at(NFTA_DATA_VERDICT));
        auto code = verdict.be32(NFTA_VERDICT_CODE);
        if (code && (static_cast<int>(*code) == NFT_JUMP || static_cast<int>(*code) == NFT_GOTO))
          rule.jump = verdict.str(NFTA_VERDICT_CHAIN);
      }
    });
  }
  return rule;
}

// One GET request for a table's chain or rules (the chain, when given,
// filters it); calls on_reply for each answer of the matching NEW type. A
// missing table or chain (ENOENT) is an empty answer.
Result<void> query(netlink::Socket& socket, int get_type, std::uint16_t flags, const std::string& table,
                   const std::string& chain, const std::function<void(const nlmsghdr*)>& on_reply) {
  const bool chains = get_type == NFT_MSG_GETCHAIN;
  netlink::Messages m;
  m.begin(msg_type(get_type), flags, NFPROTO_IPV4);
  m.put_str(chains ? std::uint16_t{NFTA_CHAIN_TABLE} : std::uint16_t{NFTA_RULE_TABLE}, table);
  if (!chain.empty()) m.put_str(chains ? std::uint16_t{NFTA_CHAIN_NAME} : std::uint16_t{NFTA_RULE_CHAIN}, chain);
  m.end();
  const std::uint16_t reply_type = msg_type(chains ? NFT_MSG_NEWCHAIN : NFT_MSG_NEWRULE);
  auto done = socket.exchange(m, [&](const nlmsghdr* h) {
    if (h->nlmsg_type == reply_type) on_reply(h);
  });
  if (!done && done.error().sys_errno == ENOENT) return ok_result();
  if (!done)
    return done.error().with_context(fmt::format("nf_tables {} {}{}", chains ? "get chain" : "dump of", table,
                                                 chain.empty() ? "" : " " + chain));
  return ok_result();
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

NftBatch::NftBatch(std::string table) : table_(std::move(table)) {}

void NftBatch::begin(int type, std::uint16_t flags) { messages_.begin(msg_type(type), flags, NFPROTO_IPV4); }

void NftBatch::new_table() {
  begin(NFT_MSG_NEWTABLE, NLM_F_CREATE);
  messages_.put_str(NFTA_TABLE_NAME, table_);
  messages_.end();
}

Result<void> NftBatch::new_base_chain(Hook hook) {
  const bool output = hook == Hook::kOutput;
  std::int32_t priority = 0;
  const char* type = "filter";
  if (table_ == "filter") {
    priority = NF_IP_PRI_FILTER;
  } else if (table_ == "mangle") {
    priority = NF_IP_PRI_MANGLE;
    if (output) type = "route";  // re-routes a packet whose mark or address changed
  } else {
    return unavailable(fmt::format("no built-in chains of table {} known here", table_));
  }
  begin(NFT_MSG_NEWCHAIN, NLM_F_CREATE);
  messages_.put_str(NFTA_CHAIN_TABLE, table_);
  messages_.put_str(NFTA_CHAIN_NAME, output ? "OUTPUT" : "INPUT");
  const auto nest = messages_.nest();
  messages_.put_be32(NFTA_HOOK_HOOKNUM, output ? NF_INET_LOCAL_OUT : NF_INET_LOCAL_IN);
  messages_.put_be32(NFTA_HOOK_PRIORITY, static_cast<std::uint32_t>(priority));
  messages_.close(nest, NFTA_CHAIN_HOOK);
  messages_.put_be32(NFTA_CHAIN_POLICY, NF_ACCEPT);
  messages_.put_str(NFTA_CHAIN_TYPE, type);
  messages_.end();
  return ok_result();
}

void NftBatch::new_chain(const std::string& chain) {
  begin(NFT_MSG_NEWCHAIN, NLM_F_CREATE);
  messages_.put_str(NFTA_CHAIN_TABLE, table_);
  messages_.put_str(NFTA_CHAIN_NAME, chain);
  messages_.end();
}

void NftBatch::delete_chain(const std::string& chain) {
  begin(NFT_MSG_DELCHAIN, 0);
  messages_.put_str(NFTA_CHAIN_TABLE, table_);
  messages_.put_str(NFTA_CHAIN_NAME, chain);
  messages_.end();
}

void NftBatch::delete_rule(const std::string& chain, std::uint64_t handle) {
  begin(NFT_MSG_DELRULE, 0);
  messages_.put_str(NFTA_RULE_TABLE, table_);
  messages_.put_str(NFTA_RULE_CHAIN, chain);
  messages_.put_be64(NFTA_RULE_HANDLE, handle);
  messages_.end();
}

Result<ChainInfo> get_chain(netlink::Socket& socket, const std::string& table, const std::string& chain) {
  ChainInfo info;
  auto done = query(socket, NFT_MSG_GETCHAIN, NLM_F_ACK, table, chain, [&](const nlmsghdr* h) {
    info.exists = true;
    info.base = Attributes::of_message(h).at(NFTA_CHAIN_HOOK) != nullptr;
  });
  if (!done) return done.error();
  return info;
}

Result<std::vector<SeenRule>> dump_chain(netlink::Socket& socket, const std::string& table, const std::string& chain) {
  std::vector<SeenRule> rules;
  auto done = query(socket, NFT_MSG_GETRULE, NLM_F_DUMP, table, chain, [&](const nlmsghdr* h) {
    auto rule = read_rule(h);
    if (rule.chain == chain) rules.push_back(std::move(rule));  // older kernels ignore the chain filter
  });
  if (!done) return done.error();
  return rules;
}

Result<std::vector<SeenRule>> dump_table(netlink::Socket& socket, const std::string& table) {
  std::vector<SeenRule> rules;
  auto done = query(socket, NFT_MSG_GETRULE, NLM_F_DUMP, table, "",
                    [&](const nlmsghdr* h) { rules.push_back(read_rule(h)); });
  if (!done) return done.error();
  return rules;
}

Result<void> commit(netlink::Socket& socket, const NftBatch& batch) {
  if (batch.empty()) return ok_result();
  // The kernel runs the whole batch inside sendto(): errors are always
  // answered; only the last message asks for an ack, which is then the first
  // answer read when nothing failed (a failed commit answers before it).
  netlink::Messages all;
  all.begin(NFNL_MSG_BATCH_BEGIN, 0, AF_UNSPEC, NFNL_SUBSYS_NFTABLES);
  all.end();
  all.append(batch.messages_);
  all.add_flags(NLM_F_ACK);
  all.begin(NFNL_MSG_BATCH_END, 0, AF_UNSPEC, NFNL_SUBSYS_NFTABLES);
  all.end();
  auto done = socket.exchange(all);
  if (!done) return done.error().with_context("nf_tables refused the batch");
  return ok_result();
}

}  // namespace faultline::faults::net::nft
