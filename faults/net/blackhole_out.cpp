#include <fmt/format.h>

#include "faults/net/iptables_chain.h"
#include "faults/net/iptables_mechanisms.h"
#include "faults/net/net_params.h"
#include "faults/process/fault_id.h"
#include "faults/registry.h"

namespace faultline::faults::net {

Availability IptablesBlackholeOut::probe(const HostContext&) const { return probe_iptables("iptables"); }

Result<HealRecord> IptablesBlackholeOut::plan(const FaultSpec& spec, const HostContext&) {
  auto destinations = parse_prefix_list(spec.params, "destinations", false);
  if (!destinations) return destinations.error().with_context("blackhole-out");
  HealRecord record{{"rule_id", random_id()}, {"destinations", prefix_texts(*destinations)}};
  if (auto it = spec.params.find("interface"); it != spec.params.end()) record["interface"] = *it;
  return record;
}

Result<void> IptablesBlackholeOut::apply(const HealRecord& record, const HostContext& host) {
  auto destinations = prefixes_from_record(record, "destinations");
  if (!destinations) return destinations.error().with_context("blackhole-out record");
  Rule drop;
  drop.hook = Hook::kOutput;
  drop.interface = "lo";
  drop.interface_negated = true;
  if (auto it = record.find("interface"); it != record.end() && it->is_string()) {
    drop.interface = it->get<std::string>();
    drop.interface_negated = false;
  }
  drop.target = Rule::Target::kDrop;
  std::vector<Rule> rules;
  if (destinations->empty()) rules.push_back(drop);
  for (const auto& d : *destinations) {
    Rule r = drop;
    r.destination = d;
    rules.push_back(r);
  }
  return IptablesChains().apply(record.value("rule_id", ""), rules, host.exemptions);
}

Result<void> IptablesBlackholeOut::heal(const HealRecord& record, const HostContext&) {
  return heal_iptables_record(record);
}

std::string IptablesBlackholeOut::describe(const HealRecord& record) const {
  auto destinations = prefixes_from_record(record, "destinations");
  std::string where = record.contains("interface") && record["interface"].is_string()
                          ? fmt::format(" on {}", record["interface"].get<std::string>())
                          : std::string(" on every interface but lo");
  std::string to = destinations && !destinations->empty() ? " to " + join_prefixes(*destinations) : "";
  return fmt::format("blackhole-out: send nothing{}{}, receive everything (iptables, control connection exempt)",
                     to, where);
}

FAULTLINE_REGISTER_MECHANISM("blackhole-out", 0, IptablesBlackholeOut);

}  // namespace faultline::faults::net
