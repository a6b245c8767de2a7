#include "agent/core/probe.h"

#include <fmt/format.h>

#include "faults/fault_spec.h"

namespace faultline::agent {

nlohmann::json probe_capabilities(faults::MechanismRegistry& registry, const faults::HostContext& host) {
  nlohmann::json out = nlohmann::json::object();
  for (const auto& kind : faults::all_fault_kinds()) {
    nlohmann::json entry = {{"available", false}, {"mechanism", ""}, {"reason", ""},
                            {"candidates", nlohmann::json::array()}};
    std::string reasons;
    for (auto* mechanism : registry.candidates(kind)) {
      auto availability = mechanism->probe(host);
      const std::string name(mechanism->name());
      entry["candidates"].push_back(
          {{"mechanism", name}, {"available", availability.available}, {"reason", availability.reason}});
      if (availability.available && !entry["available"].get<bool>()) {
        entry["available"] = true;
        entry["mechanism"] = availability.mechanism.empty() ? name : availability.mechanism;
      } else if (!availability.available) {
        reasons += fmt::format("{}{}: {}", reasons.empty() ? "" : "; ", name, availability.reason);
      }
    }
    if (entry["candidates"].empty()) reasons = "no mechanism is built for this kind";
    if (!entry["available"].get<bool>()) entry["reason"] = reasons;
    out[kind] = std::move(entry);
  }
  return out;
}

std::string format_probe_table(const nlohmann::json& capabilities) {
  std::string out = fmt::format("{:<14} {:<10} {:<22} {}\n", "KIND", "AVAILABLE", "MECHANISM", "REASON");
  for (const auto& kind : faults::all_fault_kinds()) {
    if (!capabilities.contains(kind)) continue;
    const auto& entry = capabilities[kind];
    const bool available = entry.value("available", false);
    out += fmt::format("{:<14} {:<10} {:<22} {}\n", kind, available ? "yes" : "no",
                       available ? entry.value("mechanism", std::string()) : "-",
                       available ? "" : entry.value("reason", std::string()));
  }
  return out;
}

}  // namespace faultline::agent
