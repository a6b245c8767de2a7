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

Result<Mechanism*> MechanismRegistry::select(const std::string& kind, const HostContext& host,
                                             Direction direction) {
  auto list = candidates(kind);
  if (list.empty()) return unavailable(fmt::format("no mechanism is built for fault kind '{}'", kind));
  std::string reasons;
  for (auto* mechanism : list) {
    if (!mechanism->serves(direction)) continue;
    auto availability = mechanism->probe(host);
    if (availability.available) return mechanism;
    reasons += fmt::format("{}{}: {}", reasons.empty() ? "" : "; ", mechanism->name(), availability.reason);
  }
  if (reasons.empty())
    return unavailable(fmt::format("no mechanism for fault kind '{}' shapes {} traffic", kind, direction_name(direction)));
  return unavailable(fmt::format("fault kind '{}' cannot be served on this host ({})", kind, reasons));
}

Result<Mechanism*> MechanismRegistry::find(const std::string& kind, const std::string& mechanism_name) {
  for (auto* mechanism : candidates(kind))
    if (mechanism->name() == mechanism_name) return mechanism;
  return Error{ErrorCode::kNotFound,
               fmt::format("no mechanism '{}' for fault kind '{}' in this build", mechanism_name, kind)};
}

Result<std::unique_ptr<Mechanism>> MechanismRegistry::create_fresh(const std::string& kind,
                                                                   const std::string& mechanism_name) {
  Factory factory;
  for (auto* mechanism : candidates(kind)) {
    if (mechanism->name() != mechanism_name) continue;
    std::lock_guard lock(mutex_);
    for (auto& entry : entries_[kind])
      if (entry.instance.get() == mechanism) factory = entry.factory;
  }
  if (!factory)
    return Error{ErrorCode::kNotFound,
                 fmt::format("no mechanism '{}' for fault kind '{}' in this build", mechanism_name, kind)};
  return factory();
}

Result<HealRecord> MechanismRegistry::plan(const FaultSpec& spec, const HostContext& host) {
  // A spec may ask for one mechanism by name ("mechanism":"system"); then
  // only that one is used, and its unavailability is the error.
  Result<Mechanism*> mechanism = internal_error("unset");
  const Direction direction = direction_of(spec);
  auto asked = spec.params.find("mechanism");
  if (asked != spec.params.end()) {
    if (!asked->is_string()) return invalid_input("fault field \"mechanism\" must be a string");
    mechanism = find(spec.kind, asked->get<std::string>());
    if (!mechanism) return invalid_input(mechanism.error().message);
    if (!(*mechanism)->serves(direction))
      return invalid_input(fmt::format("mechanism '{}' for fault kind '{}' does not shape {} traffic",
                                       asked->get<std::string>(), spec.kind, direction_name(direction)));
    auto availability = (*mechanism)->probe(host);
    if (!availability.available)
      return unavailable(fmt::format("mechanism '{}' for fault kind '{}' cannot be used on this host: {}",
                                     asked->get<std::string>(), spec.kind, availability.reason));
  } else {
    // The preference order, skipping what is unavailable here; a mechanism
    // whose plan says it cannot serve this spec (kUnavailable, e.g. netem
    // and a port filter) hands it to the next one.
    auto list = candidates(spec.kind);
    if (list.empty()) return unavailable(fmt::format("no mechanism is built for fault kind '{}'", spec.kind));
    std::string reasons;
    for (auto* candidate : list) {
      if (!candidate->serves(direction)) continue;
      auto availability = candidate->probe(host);
      if (!availability.available) {
        reasons += fmt::format("{}{}: {}", reasons.empty() ? "" : "; ", candidate->name(), availability.reason);
        continue;
      }
      auto record = candidate->plan(spec, host);
      if (!record && record.error().code == ErrorCode::kUnavailable) {
        reasons += fmt::format("{}{}: {}", reasons.empty() ? "" : "; ", candidate->name(), record.error().message);
        continue;
      }
      if (!record) return record.error();
      (*record)["kind"] = spec.kind;
      (*record)["mechanism"] = std::string(candidate->name());
      return record;
    }
    if (reasons.empty())
      return unavailable(fmt::format("no mechanism for fault kind '{}' shapes {} traffic", spec.kind,
                                     direction_name(direction)));
    return unavailable(fmt::format("fault kind '{}'{} cannot be served on this host ({})", spec.kind,
                                   direction == Direction::kIngress ? " (ingress)" : "", reasons));
  }
  if (!mechanism) return mechanism.error();
  auto record = (*mechanism)->plan(spec, host);
  if (!record) return record.error();
  (*record)["kind"] = spec.kind;
  (*record)["mechanism"] = std::string((*mechanism)->name());
  return record;
}

}  // namespace faultline::faults
