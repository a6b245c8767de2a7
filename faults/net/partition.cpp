#include <spdlog/spdlog.h>

#include <fmt/format.h>

#include "faults/net/conntrack_cut.h"
#include "faults/net/iptables_chain.h"
#include "faults/net/iptables_mechanisms.h"
#include "faults/net/net_params.h"
#include "faults/registry.h"

namespace faultline::faults::net {

Availability IptablesPartition::probe(const HostContext&) const { return probe_iptables("iptables"); }

Result<HealRecord> IptablesPartition::plan(const FaultSpec& spec, const HostContext&) {
  auto peers = parse_prefix_list(spec.params, "peers", /*required=*/true);
  if (!peers) return peers.error().with_context("partition");
  return HealRecord{{"rule_id", new_rule_id()}, {"peers", prefix_texts(*peers)}};
}

Result<void> IptablesPartition::apply(const HealRecord& record, const HostContext& host) {
  auto peers = prefixes_from_record(record, "peers");
  if (!peers) return peers.error().with_context("partition record");
  if (peers->empty()) return invalid_input("partition record has no peers");
  std::vector<IptablesRule> rules;
  for (const auto& p : *peers) {
    rules.push_back({Hook::kInput, {"-s", p.text(), "-j", "DROP"}});
    rules.push_back({Hook::kOutput, {"-d", p.text(), "-j", "DROP"}});
  }
  auto applied = IptablesChains().apply(record.value("rule_id", ""), rules, host.exemptions);
  if (!applied) return applied;
  // The rules are in effect: now cut what conntrack still remembers, so no
  // established flow keeps a path through a RELATED/ESTABLISHED accept.
  auto cut = cut_conntrack_flows(*peers);
  if (!cut) spdlog::warn("partition {}: rules in effect, but conntrack entries not cut: {}", join_prefixes(*peers),
                         cut.error().message);
  return ok_result();
}

Result<void> IptablesPartition::heal(const HealRecord& record, const HostContext&) {
  return heal_iptables_record(record);
}

std::string IptablesPartition::describe(const HealRecord& record) const {
  auto peers = prefixes_from_record(record, "peers");
  return fmt::format("partition: drop all traffic to and from {} (iptables, control connection exempt)",
                     peers ? join_prefixes(*peers) : std::string("?"));
}

FAULTLINE_REGISTER_MECHANISM("partition", 0, IptablesPartition);

}  // namespace faultline::faults::net
