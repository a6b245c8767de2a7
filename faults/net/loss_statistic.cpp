#include <fmt/format.h>
#include <optional>

#include "faults/net/iptables_chain.h"
#include "faults/net/iptables_mechanisms.h"
#include "faults/net/net_params.h"
#include "faults/net/port_match.h"
#include "faults/process/fault_id.h"
#include "faults/registry.h"

namespace faultline::faults::net {

Availability IptablesStatisticLoss::probe(const HostContext&) const { return probe_iptables("iptables-statistic"); }

Result<HealRecord> IptablesStatisticLoss::plan(const FaultSpec& spec, const HostContext&) {
  if (!spec.params.contains("percent")) return invalid_input("loss: field \"percent\" is required (0..100)");
  auto percent = parse_percent(spec.params, "percent", 0);
  if (!percent) return percent.error().with_context("loss");
  auto correlation = parse_percent(spec.params, "correlation", 0);
  if (!correlation) return correlation.error().with_context("loss");
  auto destinations = parse_prefix_list(spec.params, "destinations", false);
  if (!destinations) return destinations.error().with_context("loss");
  HealRecord record{{"rule_id", random_id()}, {"percent", *percent}, {"destinations", prefix_texts(*destinations)}};
  if (direction_of(spec) == Direction::kIngress) record["direction"] = "ingress";
  if (*correlation > 0) record["correlation_ignored"] = *correlation;
  if (auto it = spec.params.find("interface"); it != spec.params.end()) record["interface"] = *it;
  auto ports = PortMatch::parse(spec.params);
  if (!ports) return ports.error().with_context("loss");
  ports->to_json(record);
  return record;
}

Result<void> IptablesStatisticLoss::apply(const HealRecord& record, const HostContext& host) {
  auto destinations = prefixes_from_record(record, "destinations");
  if (!destinations) return destinations.error().with_context("loss record");
  double percent = record.value("percent", 0.0);
  // Ingress: what arrives (INPUT, -i, the peers as sources); egress: what leaves.
  const bool ingress = record.value("direction", "") == "ingress";
  auto ports = PortMatch::from_json(record);
  if (!ports) return ports.error();
  std::vector<Rule> rules;
  auto add = [&](const std::optional<Ipv4Prefix>& peer) {
    for (auto r : ports->alternatives()) {
      r.hook = ingress ? Hook::kInput : Hook::kOutput;
      r.interface = "lo";
      r.interface_negated = true;
      if (auto it = record.find("interface"); it != record.end() && it->is_string()) {
        r.interface = it->get<std::string>();
        r.interface_negated = false;
      }
      (ingress ? r.source : r.destination) = peer;
      r.probability = percent / 100.0;
      r.target = Rule::Target::kDrop;
      rules.push_back(std::move(r));
    }
  };
  if (destinations->empty()) add(std::nullopt);
  for (const auto& d : *destinations) add(d);
  return IptablesChains().apply(record.value("rule_id", ""), rules, host.exemptions);
}

Result<void> IptablesStatisticLoss::heal(const HealRecord& record, const HostContext&) {
  return heal_iptables_record(record);
}

std::string IptablesStatisticLoss::describe(const HealRecord& record) const {
  auto destinations = prefixes_from_record(record, "destinations");
  const bool ingress = record.value("direction", "") == "ingress";
  std::string to = destinations && !destinations->empty() ? (ingress ? " from " : " to ") + join_prefixes(*destinations) : "";
  std::string where = record.contains("interface") && record["interface"].is_string()
                          ? " on " + record["interface"].get<std::string>()
                          : std::string(" on every interface but lo");
  std::string note = record.contains("correlation_ignored")
                         ? fmt::format(" (correlation {}% ignored: only netem can correlate)",
                                       record["correlation_ignored"].get<double>())
                         : "";
  auto ports = PortMatch::from_json(record);
  return fmt::format("loss: drop {}% of {} packets{}{}{} (iptables statistic{}){}", record.value("percent", 0.0),
                     ingress ? "incoming" : "outgoing", to, where, ports ? ports->describe() : std::string(),
                     ingress ? ", INPUT" : "", note);
}

FAULTLINE_REGISTER_MECHANISM("loss", 10, IptablesStatisticLoss);

}  // namespace faultline::faults::net
