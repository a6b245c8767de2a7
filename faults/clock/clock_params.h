// Parameters of the clock fault kinds, shared by the per-process and the
// system clock mechanisms.
//
// Contract:
//  - clock-skew: "offset" a signed duration ("+5s", "-2s", "250ms"; no sign = +).
//  - clock-drift: "rate" a number > 0 and <= 1000 (1.05 = 5% fast, 0.5 = half speed).
//  - clock-stop: no parameters.
//  - "clocks": which clocks of the per-process clock the fault applies to, a
//    list of "realtime", "monotonic", "boottime" (default ["realtime"]);
//    "monotonic": true is shorthand for all three.
// Every parser returns an kInvalidInput Error naming the field.
#pragma once

#include <cstdint>

#include "common/result.h"
#include "faults/fault_spec.h"

namespace faultline::faults::clock {

Result<std::int64_t> parse_offset(const FaultSpec& spec);   // ns, signed
Result<std::int64_t> parse_rate_ppb(const FaultSpec& spec);  // rate in parts per 1e9
Result<int> parse_slots(const FaultSpec& spec);              // bit per ClockSlot

}  // namespace faultline::faults::clock
