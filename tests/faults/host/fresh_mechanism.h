// fresh_mechanism: a new instance of the mechanism a HealRecord names, as a
// restarted agent would have (not the registry's long-lived one), for tests
// that heal from the record alone. Null when the record names none.
#pragma once

#include <memory>
#include <string>

#include "faults/registry.h"

namespace faultline::test {

inline std::unique_ptr<faults::Mechanism> fresh_mechanism(const std::string& kind, const faults::HealRecord& record) {
  auto created = faults::MechanismRegistry::instance().create_fresh(kind, record.value("mechanism", ""));
  if (!created) return nullptr;
  return std::move(created.value());
}

}  // namespace faultline::test
