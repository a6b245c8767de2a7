// Clock offsets by Cristian's method: mapping an agent's CLOCK_MONOTONIC onto
// the controller's timeline.
//
// Contract: each ClockSample is one request/response round trip: controller
// time at send (t0) and receive (t1), agent time when it answered (a). With
// the round trip r = t1 - t0, the agent's clock reads a at a controller instant
// in [t0, t1], so offset = a - (t0 + t1) / 2 with error at most r / 2.
// estimate_offset() takes the sample with the smallest round trip (the
// tightest bound); samples with t1 < t0 are rejected; no samples is an error.
// to_controller() maps an agent instant onto the controller's monotonic clock.
#pragma once

#include <vector>

#include "agent/client/agent_client.h"
#include "common/result.h"
#include "common/units.h"

namespace faultline::controller {

struct ClockOffset {
  Nanos offset = 0;      // agent_mono - controller_mono
  Nanos round_trip = 0;  // of the chosen sample
  Nanos error = 0;       // bound: round_trip / 2
  Nanos to_controller(Nanos agent_mono) const { return agent_mono - offset; }
};

Result<ClockOffset> estimate_offset(const std::vector<agent::ClockSample>& samples);

}  // namespace faultline::controller
