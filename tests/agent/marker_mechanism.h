// A test-only fault mechanism that touches nothing but one marker file:
// apply creates it (content "applied"), heal removes it. So the agent's
// journal, lease, duration and shutdown machinery can be tested with real
// processes and real files, independently of the host mechanisms.
//
// Spec: {"kind": <any>, <its required fields>, "x-marker": "/abs/path",
// "x-fail_apply": false} (x- fields are extensions the fault schema accepts on
// every kind, faults/spec/field.h). plan() refuses a spec without an absolute
// "x-marker". With "x-fail_apply": true,
// apply() creates the marker and then fails (so the agent must heal it).
// With "x-hold_until": "/abs/path", apply() creates the marker (content
// "holding") and then waits until that path exists (at most 60 s): a slow
// apply whose end the test decides.
#pragma once

#include <string_view>

#include "faults/mechanism.h"

namespace faultline::testing {

class MarkerMechanism : public faults::Mechanism {
 public:
  std::string_view name() const override { return "test-marker"; }
  faults::Availability probe(const faults::HostContext&) const override;
  Result<faults::HealRecord> plan(const faults::FaultSpec& spec, const faults::HostContext& host) override;
  Result<void> apply(const faults::HealRecord& record, const faults::HostContext& host) override;
  Result<void> heal(const faults::HealRecord& record, const faults::HostContext& host) override;
  std::string describe(const faults::HealRecord& record) const override;
};

// The kind the test agent binary serves with the marker mechanism.
inline constexpr const char* kMarkerKind = "disk-slow";

}  // namespace faultline::testing
