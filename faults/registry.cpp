#include "faults/registry.h"

#include <algorithm>
#include <fmt/format.h>

namespace faultline::faults {

MechanismRegistry& MechanismRegistry::instance() {
  static MechanismRegistry registry;
  return registry;
}

void MechanismRegistry::add(std::string kind, int preference, Factory factory) {
  std::lock_guard lock(mutex_);
  auto& list = entries_[std::move(kind)];
  list.push_back(Entry{preference, std::move(factory), nullptr});
  std::stable_sort(list.begin(), list.end(),
                   [](const Entry& a, const Entry& b) { return a.preference < b.preference; });
}

std::vector<Mechanism*> MechanismRegistry::candidates(const std::string& kind) {
  std::lock_guard lock(mutex_);
  std::vector<Mechanism*> out;
  auto it = entries_.find(kind);
  if (it == entries_.end()) return out;
  for (auto& entry : it->second) {
    if (!entry.instance) entry.instance = entry.factory();
    out.push_back(entry.instance.get());
  }
  return out;
}

Result<Mechanism*> MechanismRegistry::select(const std::string& kind, const HostContext& host) {
  auto list = candidates(kind);
  if (list.empty()) return unavailable(fmt::format("no mechanism is built for fault kind '{}'", kind));
  std::string reasons;
  for (auto* mechanism : list) {
    auto availability = mechanism->probe(host);
    if (availability.available) return mechanism;
    reasons += fmt::format("{}{}: {}", reasons.empty() ? "" : "; ", mechanism->name(), availability.reason);
  }
  return unavailable(fmt::format("fault kind '{}' cannot be served on this host ({})", kind, reasons));
}

Result<Mechanism*> MechanismRegistry::find(const std::string& kind, const std::string& mechanism_name) {
  for (auto* mechanism : candidates(kind))
    if (mechanism->name() == mechanism_name) return mechanism;
  return Error{ErrorCode::kNotFound,
               fmt::format("no mechanism '{}' for fault kind '{}' in this build", mechanism_name, kind)};
}

Result<HealRecord> MechanismRegistry::plan(const FaultSpec& spec, const HostContext& host) {
  auto mechanism = select(spec.kind, host);
  if (!mechanism) return mechanism.error();
  auto record = (*mechanism)->plan(spec, host);
  if (!record) return record.error();
  (*record)["kind"] = spec.kind;
  (*record)["mechanism"] = std::string((*mechanism)->name());
  return record;
}

}  // namespace faultline::faults
