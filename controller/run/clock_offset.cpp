#include "controller/run/clock_offset.h"

namespace faultline::controller {

Result<ClockOffset> estimate_offset(const std::vector<agent::ClockSample>& samples) {
  const agent::ClockSample* best = nullptr;
  for (const auto& s : samples) {
    if (s.controller_receive < s.controller_send) continue;
    if (!best || s.controller_receive - s.controller_send < best->controller_receive - best->controller_send) best = &s;
  }
  if (!best) return invalid_input("no usable clock sample (none, or every one went backwards)");
  ClockOffset out;
  out.round_trip = best->controller_receive - best->controller_send;
  // Midpoint without overflow: t0 + r/2.
  out.offset = best->agent_mono - (best->controller_send + out.round_trip / 2);
  out.error = (out.round_trip + 1) / 2;
  return out;
}

}  // namespace faultline::controller
