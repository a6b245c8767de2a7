#include "faults/net/shaper/nfqueue_netlink.h"

#include <arpa/inet.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>

#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <vector>

#include <fmt/format.h>

#include "faults/net/iptables_lock.h"
#include "faults/net/nft_netlink.h"

namespace faultline::faults::shaper {
namespace {

namespace nft = net::nft;

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
  std::string iif, oif;
  bool iif_negated = false, oif_negated = false;
  std::optional<std::uint32_t> saddr, daddr;
  bool tcp = false;
  std::optional<std::uint16_t> sport, dport;
  std::string target;  // NFQUEUE or RETURN
  std::uint16_t queue = 0;
  bool bypass = false;
};

std::optional<Parsed> parse_rule(net::Hook hook, const std::vector<std::string>& args) {
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
    if ((a == "-o" || a == "-i") && has_next) {
      auto& name = a == "-o" ? p.oif : p.iif;
      name = args[++i];
      (a == "-o" ? p.oif_negated : p.iif_negated) = negate;
      if (name.empty() || name.size() >= 16 || name.find('+') != std::string::npos) return std::nullopt;
    } else if (negate) {
      return std::nullopt;  // only "! -o" and "! -i" are in the vocabulary
    } else if ((a == "-d" || a == "-s") && has_next) {
      auto addr = host_address(args[++i]);
      if (!addr) return std::nullopt;
      (a == "-d" ? p.daddr : p.saddr) = addr;
    } else if (a == "-p" && has_next) {
      if (args[++i] != "tcp") return std::nullopt;
      p.tcp = true;
    } else if ((a == "--sport" || a == "--dport") && has_next && p.tcp) {
      int port = std::atoi(args[++i].c_str());
      if (port <= 0 || port > 65535) return std::nullopt;
      (a == "--sport" ? p.sport : p.dport) = static_cast<std::uint16_t>(port);
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
  if (hook == net::Hook::kOutput) {  // NFQUEUE: [!] -o IF [-d A]; RETURN: [-s A] [-p tcp --sport N]
    if (!p.iif.empty() || p.dport) return std::nullopt;
    if (p.target == "NFQUEUE" && !p.saddr && !p.tcp) return p;
    if (p.target == "RETURN" && p.oif.empty() && !p.daddr && (p.tcp == p.sport.has_value())) return p;
  } else {  // INPUT, the mirror image: NFQUEUE: [!] -i IF [-s A]; RETURN: [-d A] [-p tcp --dport N]
    if (!p.oif.empty() || p.sport) return std::nullopt;
    if (p.target == "NFQUEUE" && !p.daddr && !p.tcp) return p;
    if (p.target == "RETURN" && p.iif.empty() && !p.saddr && (p.tcp == p.dport.has_value())) return p;
  }
  return std::nullopt;
}

// The parsed words as nft_netlink builds them: a host address is a /32, the
// comment an xt "comment" match (as iptables-nft 1.8 builds -m comment).
nft::RuleSpec rule_spec(const Parsed& p) {
  nft::RuleSpec r;
  r.iif = p.iif;
  r.iif_negated = p.iif_negated;
  r.oif = p.oif;
  r.oif_negated = p.oif_negated;
  if (p.saddr) r.saddr = std::pair{*p.saddr, 32};
  if (p.daddr) r.daddr = std::pair{*p.daddr, 32};
  if (p.tcp) r.proto = IPPROTO_TCP;
  r.sport = p.sport;
  r.dport = p.dport;
  if (p.target == "NFQUEUE") r.nfqueue = nft::NfqueueTarget{p.queue, p.bypass};
  else r.verdict = NFT_RETURN;
  r.comment_match = true;
  return r;
}

bool fail(std::string* why_not, std::string why) {
  *why_not = std::move(why);
  return false;
}

}  // namespace

bool nfqueue_fast_apply(const net::IptablesOptions& options, std::string_view fault_id,
                        const std::vector<net::IptablesRule>& rules, const std::vector<net::IptablesRule>& exemptions,
                        std::string* why_not) {
  if (options.restore_program != "iptables-restore" || !nft::iptables_on_nf_tables())
    return fail(why_not, "iptables is not on the nf_tables backend");
  const std::string comment = net::IptablesChains::tag(fault_id);
  const std::string& table = options.table;
  if (rules.empty()) return fail(why_not, "no rules");
  // One hook per fault: OUTPUT (egress) or INPUT (ingress), our chain beside it.
  const net::Hook hook = rules.front().hook;
  const std::string& chain = hook == net::Hook::kOutput ? options.out_chain : options.in_chain;
  const std::string base_chain = hook == net::Hook::kOutput ? "OUTPUT" : "INPUT";
  std::vector<Parsed> parsed_rules, parsed_exemptions;
  for (const auto& r : rules) {
    auto p = r.hook == hook ? parse_rule(hook, r.args) : std::nullopt;
    if (!p || p->target != "NFQUEUE") return fail(why_not, "rule outside the NFQUEUE vocabulary");
    parsed_rules.push_back(*p);
  }
  for (const auto& e : exemptions) {
    if (e.hook != hook) continue;  // our rules hook one chain only, like the batch
    auto p = parse_rule(hook, e.args);
    if (!p || p->target != "RETURN") return fail(why_not, "exemption outside the NFQUEUE vocabulary");
    parsed_exemptions.push_back(*p);
  }

  // Made before the lock, so closed after it is released: closing a socket
  // that committed deletions waits for an RCU grace period (nft_netlink.h).
  nft::NftSocket nl;
  if (!nl.ok()) return fail(why_not, fmt::format("nf_tables netlink socket: {}", std::strerror(errno)));
  net::IptablesFileLock lock;

  // 1. The table and its base chain exist (else iptables-nft makes them).
  bool exists = false, is_base = false;
  int rc = nl.get_chain(table, base_chain, &exists, &is_base);
  if (rc != 0 || !exists || !is_base)
    return fail(why_not, fmt::format("no {} {} base chain yet ({})", table, base_chain,
                                     rc ? std::strerror(-rc) : !exists ? std::strerror(ENOENT) : "not a base chain"));

  // 2. What is there: this id's rules (to replace), our chain, the jump.
  std::vector<nft::SeenRule> seen, ours;
  rc = nl.dump_table(table, &seen);
  if (rc != 0) return fail(why_not, fmt::format("nf_tables rule dump: {}", std::strerror(-rc)));
  bool chain_seen = false, jump_present = false;
  for (auto& rule : seen) {
    if (rule.chain == chain) chain_seen = true;
    if (rule.chain == base_chain && rule.jump == chain) jump_present = chain_seen = true;
    if (rule.comment == comment) ours.push_back(std::move(rule));
  }

  // 3. One transaction.
  nft::NftBatch batch(table);
  if (!chain_seen) batch.new_chain(chain);  // created if missing, left alone if there
  for (const auto& rule : ours) batch.delete_rule(rule.chain, rule.handle);
  if (!jump_present) {  // -I OUTPUT|INPUT 1 -m comment --comment faultline:jump -j CHAIN
    nft::RuleSpec jump;
    jump.jump = chain;
    jump.comment_match = true;
    batch.new_rule(base_chain, jump, "faultline:jump", false);
  }
  for (const auto& e : parsed_exemptions) batch.new_rule(chain, rule_spec(e), comment, false);  // -I CHAIN 1 each
  for (const auto& r : parsed_rules) batch.new_rule(chain, rule_spec(r), comment, true);        // -A CHAIN
  rc = nl.commit(batch);
  if (rc != 0) return fail(why_not, fmt::format("nf_tables refused the batch: {}", std::strerror(-rc)));
  return true;
}

}  // namespace faultline::faults::shaper
