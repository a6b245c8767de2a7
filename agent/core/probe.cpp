#include "agent/core/probe.h"

#include <fmt/format.h>

#include "faults/fault_spec.h"

namespace faultline::agent {
namespace {

// {"available", "mechanism", "reason"} for one direction of one kind: the
// first available candidate that serves it. Empty when none serves it.
nlohmann::json choose(const std::vector<std::pair<faults::Mechanism*, faults::Availability>>& probed,
                      faults::Direction direction) {
  nlohmann::json entry = {{"available", false}, {"mechanism", ""}, {"reason", ""}};
  std::string reasons;
  bool served = false;
  for (const auto& [mechanism, availability] : probed) {
    if (!mechanism->serves(direction)) continue;
    served = true;
    const std::string name(mechanism->name());
    if (availability.available) {
      entry["available"] = true;
      entry["mechanism"] = availability.mechanism.empty() ? name : availability.mechanism;
      entry["reason"] = "";
      return entry;
    }
    reasons += fmt::format("{}{}: {}", reasons.empty() ? "" : "; ", name, availability.reason);
  }
  if (!served) return nlohmann::json();
  entry["reason"] = reasons;
  return entry;
}

}  // namespace

nlohmann::json probe_capabilities(faults::MechanismRegistry& registry, const faults::HostContext& host) {
  nlohmann::json out = nlohmann::json::object();
  for (const auto& kind : faults::all_fault_kinds()) {
    std::vector<std::pair<faults::Mechanism*, faults::Availability>> probed;
    nlohmann::json candidates = nlohmann::json::array();
    for (auto* mechanism : registry.candidates(kind)) {
      auto availability = mechanism->probe(host);
      nlohmann::json directions = nlohmann::json::array();
      for (auto d : {faults::Direction::kEgress, faults::Direction::kIngress})
        if (mechanism->serves(d)) directions.push_back(faults::direction_name(d));
      candidates.push_back({{"mechanism", std::string(mechanism->name())},
                            {"available", availability.available},
                            {"reason", availability.reason},
                            {"directions", directions}});
      probed.emplace_back(mechanism, availability);
    }
    nlohmann::json entry = choose(probed, faults::Direction::kEgress);
    if (entry.is_null()) entry = {{"available", false}, {"mechanism", ""}, {"reason", ""}};
    if (candidates.empty()) entry["reason"] = "no mechanism is built for this kind";
    entry["candidates"] = std::move(candidates);
    if (auto ingress = choose(probed, faults::Direction::kIngress); !ingress.is_null()) entry["ingress"] = ingress;
    out[kind] = std::move(entry);
  }
  return out;
}

std::string format_probe_table(const nlohmann::json& capabilities) {
  std::string out = fmt::format("{:<18} {:<10} {:<22} {}\n", "KIND", "AVAILABLE", "MECHANISM", "REASON");
  auto line = [&](const std::string& name, const nlohmann::json& entry) {
    const bool available = entry.value("available", false);
    out += fmt::format("{:<18} {:<10} {:<22} {}\n", name, available ? "yes" : "no",
                       available ? entry.value("mechanism", std::string()) : "-",
                       available ? "" : entry.value("reason", std::string()));
  };
  for (const auto& kind : faults::all_fault_kinds()) {
    if (!capabilities.contains(kind)) continue;
    const auto& entry = capabilities[kind];
    line(kind, entry);
    if (entry.contains("ingress")) line(kind + " ingress", entry["ingress"]);
  }
  return out;
}

}  // namespace faultline::agent
