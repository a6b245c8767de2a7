#include <spdlog/spdlog.h>

#include <fmt/format.h>

// The partition: per peer, or with one IP set for all peers.
//
// With few peers the rules are one per peer and direction (INPUT -s PEER,
// OUTPUT -d PEER). From kSetMinPeers (16) peers on, the kernel's cost of a rule
// per peer dominates an apply (~12 us per rule to build, and every packet
// walks them all), so the peers go into one ip_set (hash:net, ipset.h) of
// this fault and the rules are two: INPUT -m set --match-set SET src and
// OUTPUT -m set --match-set SET dst, still in our chains, still applied in
// one atomic step after the set is filled (the set alone drops nothing).
// iptables-save shows them as such; `ipset list` shows the set, named
// "faultline-<rule_id>", while the fault lasts. The plan records the set
// name; heal deletes the rules, then destroys the set (missing: fine), so a
// restarted agent heals from the record alone. Where the kernel has no
// ip_set, apply falls back to per-peer rules.
#include <algorithm>

#include "faults/net/conntrack_cut.h"
#include "faults/net/iptables_chain.h"
#include "faults/net/iptables_mechanisms.h"
#include "faults/net/ipset.h"
#include "faults/net/net_params.h"
#include "faults/process/fault_id.h"
#include "faults/registry.h"

namespace faultline::faults::net {
namespace {

// Below this, rules per peer cost less than the set's create/fill/destroy
// (bench/controller/partition_apply_bench: break-even near 10-15 peers).
constexpr std::size_t kSetMinPeers = 16;

std::vector<IptablesRule> per_peer_rules(const std::vector<Ipv4Prefix>& peers) {
  std::vector<IptablesRule> rules;
  for (const auto& p : peers) {
    rules.push_back({Hook::kInput, {"-s", p.text(), "-j", "DROP"}});
    rules.push_back({Hook::kOutput, {"-d", p.text(), "-j", "DROP"}});
  }
  return rules;
}

std::vector<IptablesRule> set_rules(const std::string& set) {
  return {{Hook::kInput, {"-m", "set", "--match-set", set, "src", "-j", "DROP"}},
          {Hook::kOutput, {"-m", "set", "--match-set", set, "dst", "-j", "DROP"}}};
}

}  // namespace

Availability IptablesPartition::probe(const HostContext&) const { return probe_iptables("iptables"); }

Result<HealRecord> IptablesPartition::plan(const FaultSpec& spec, const HostContext&) {
  auto peers = parse_prefix_list(spec.params, "peers", /*required=*/true);
  if (!peers) return peers.error().with_context("partition");
  HealRecord record{{"rule_id", random_id()}, {"peers", prefix_texts(*peers)}};
  const bool settable = std::none_of(peers->begin(), peers->end(), [](const Ipv4Prefix& p) { return p.length == 0; });
  if (peers->size() >= kSetMinPeers && settable) record["set"] = "faultline-" + record["rule_id"].get<std::string>();
  return record;
}

Result<void> IptablesPartition::apply(const HealRecord& record, const HostContext& host) {
  auto peers = prefixes_from_record(record, "peers");
  if (!peers) return peers.error().with_context("partition record");
  if (peers->empty()) return invalid_input("partition record has no peers");
  const std::string set = record.value("set", "");
  bool with_set = false;
  if (!set.empty()) {
    auto filled = ipset_fill(set, *peers);
    if (filled) with_set = true;
    else spdlog::info("partition: no ip set ({}), one rule per peer instead", filled.error().message);
  }
  auto applied =
      IptablesChains().apply(record.value("rule_id", ""), with_set ? set_rules(set) : per_peer_rules(*peers), host.exemptions);
  if (!applied) {
    if (with_set) (void)ipset_destroy(set);  // nothing of ours stays behind
    return applied;
  }
  // The rules are in effect: now cut what conntrack still remembers, so no
  // established flow keeps a path through a RELATED/ESTABLISHED accept.
  auto cut = cut_conntrack_flows(*peers);
  if (!cut) spdlog::warn("partition {}: rules in effect, but conntrack entries not cut: {}", join_prefixes(*peers),
                         cut.error().message);
  return ok_result();
}

Result<void> IptablesPartition::heal(const HealRecord& record, const HostContext&) {
  auto healed = heal_iptables_record(record);
  if (!healed) return healed;
  // The rules that referenced the set are gone; now the set.
  if (auto it = record.find("set"); it != record.end() && it->is_string()) {
    auto destroyed = ipset_destroy(it->get<std::string>());
    if (!destroyed) return destroyed.error().with_context("partition heal");
  }
  return ok_result();
}

std::string IptablesPartition::describe(const HealRecord& record) const {
  auto peers = prefixes_from_record(record, "peers");
  const std::string set = record.value("set", "");
  return fmt::format("partition: drop all traffic to and from {} (iptables{}, control connection exempt)",
                     peers ? join_prefixes(*peers) : std::string("?"), set.empty() ? "" : ", ip set " + set);
}

FAULTLINE_REGISTER_MECHANISM("partition", 0, IptablesPartition);

}  // namespace faultline::faults::net
