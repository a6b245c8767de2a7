#include "faults/net/shaper/nfqueue_netlink.h"

#include <fmt/format.h>

#include "faults/net/iptables_lock.h"
#include "faults/net/nft_netlink.h"

namespace faultline::faults::shaper {
namespace {

namespace nft = net::nft;
using net::Rule;

bool host_or_none(const std::optional<net::Ipv4Prefix>& p) { return !p || p->length == 32; }

bool plain(const Rule& r) {
  return !r.set && r.ports.empty() && !r.syn_only && !r.new_only && !r.probability;
}

// The vocabulary, per hook. OUTPUT: NFQUEUE [!] -o IF [-d A]; RETURN [-s A]
// [-p tcp --sport N]. INPUT, the mirror image: NFQUEUE [!] -i IF [-s A];
// RETURN [-d A] [-p tcp --dport N].
bool queue_rule(const Rule& r, net::Hook hook) {
  const bool out = hook == net::Hook::kOutput;
  return r.hook == hook && r.target == Rule::Target::kNfqueue && plain(r) && !(out ? r.source : r.destination) &&
         host_or_none(out ? r.destination : r.source) && r.protocol == net::Protocol::kAny && !r.source_port &&
         !r.destination_port;
}

bool exemption(const Rule& r, net::Hook hook) {
  const bool out = hook == net::Hook::kOutput;
  const auto& port = out ? r.source_port : r.destination_port;
  return r.hook == hook && r.target == Rule::Target::kReturn && plain(r) && r.interface.empty() &&
         !(out ? r.destination : r.source) && host_or_none(out ? r.source : r.destination) &&
         !(out ? r.destination_port : r.source_port) &&
         (r.protocol == net::Protocol::kTcp ? port.has_value() : r.protocol == net::Protocol::kAny && !port);
}

}  // namespace

Result<void> nfqueue_fast_apply(const net::IptablesOptions& options, std::string_view fault_id,
                                const std::vector<Rule>& rules, const std::vector<Rule>& exemptions) {
  if (options.restore_program != "iptables-restore" || !nft::iptables_on_nf_tables())
    return unavailable("iptables is not on the nf_tables backend");
  if (rules.empty()) return invalid_input("no rules");
  const std::string comment = net::IptablesChains::tag(fault_id);
  const std::string& table = options.table;
  // One hook per fault: OUTPUT (egress) or INPUT (ingress), our chain beside it.
  const net::Hook hook = rules.front().hook;
  const std::string& chain = hook == net::Hook::kOutput ? options.out_chain : options.in_chain;
  const std::string base_chain = hook == net::Hook::kOutput ? "OUTPUT" : "INPUT";
  for (const auto& r : rules)
    if (!queue_rule(r, hook)) return invalid_input("rule outside the NFQUEUE vocabulary");
  std::vector<Rule> returns;
  for (const auto& e : exemptions) {
    if (e.hook != hook) continue;  // our rules hook one chain only, like the batch
    if (!exemption(e, hook)) return invalid_input("exemption outside the NFQUEUE vocabulary");
    returns.push_back(e);
  }

  // Made before the lock, so closed after it is released: closing a socket
  // that committed deletions waits for an RCU grace period (nft_netlink.h).
  auto nl = net::netlink::Socket::open();
  if (!nl) return nl.error();
  net::IptablesFileLock lock;

  // 1. The table and its base chain: made as iptables-nft makes them when
  //    missing (a fresh host, or `iptables -X` removed the empty built-ins).
  auto base = nft::get_chain(*nl, table, base_chain);
  if (!base) return base.error();
  if (base->exists && !base->base) return unavailable(fmt::format("{} {} is not a base chain", table, base_chain));

  // 2. What is there: this id's rules (to replace), our chain, the jump.
  auto seen = nft::dump_table(*nl, table);
  if (!seen) return seen.error();
  std::vector<nft::SeenRule> ours;
  bool chain_seen = false, jump_present = false;
  for (auto& rule : *seen) {
    if (rule.chain == chain) chain_seen = true;
    if (rule.chain == base_chain && rule.jump == chain) jump_present = chain_seen = true;
    if (rule.comment == comment) ours.push_back(std::move(rule));
  }

  // 3. One transaction; comments as xt "comment" matches, as iptables-nft 1.8 builds -m comment.
  nft::NftBatch batch(table);
  if (!base->exists) {
    batch.new_table();
    if (auto made = batch.new_base_chain(hook); !made) return made;
  }
  if (!chain_seen) batch.new_chain(chain);  // created if missing, left alone if there
  for (const auto& rule : ours) batch.delete_rule(rule.chain, rule.handle);
  if (!jump_present) {  // -I OUTPUT|INPUT 1 -m comment --comment faultline:jump -j CHAIN
    Rule jump;
    jump.hook = hook;
    jump.target = Rule::Target::kJump;
    jump.jump = chain;
    if (auto added = batch.new_rule(base_chain, jump, {"faultline:jump", false, true}); !added) return added;
  }
  for (const auto& e : returns)  // -I CHAIN 1 each
    if (auto added = batch.new_rule(chain, e, {comment, false, true}); !added) return added;
  for (const auto& r : rules)  // -A CHAIN
    if (auto added = batch.new_rule(chain, r, {comment, true, true}); !added) return added;
  return nft::commit(*nl, batch);
}

}  // namespace faultline::faults::shaper
