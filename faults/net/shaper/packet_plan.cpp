#include "faults/net/shaper/packet_plan.h"

namespace faultline::faults::shaper {

ActiveFault::ActiveFault(ShaperFault fault, Prng& prng)
    : fault_(std::move(fault)),
      probability_(percent_to_probability(fault_.percent)),
      decision_random_(fault_.correlation, prng),
      delay_random_(fault_.delay_correlation, prng) {}

void ActiveFault::contribute(PacketPlan& plan, bool packet_is_duplicate) {
  const auto& k = fault_.kind;
  if (k == "duplicate") {
    if (!packet_is_duplicate && chance(probability_, decision_random_)) plan.duplicate = true;
  } else if (k == "corrupt") {
    if (chance(probability_, decision_random_)) {
      plan.corrupt = true;
      plan.recompute_checksum = plan.recompute_checksum && fault_.recompute_checksum;
    }
  } else if (k == "delay") {
    plan.delay += sample_delay(fault_.delay, fault_.jitter, fault_.distribution, delay_random_);
  } else if (k == "reorder") {
    // netem: if (gap == 0 || counter < gap - 1 || reorder < get_crandom()) delay; else send now.
    if (counter_ + 1 < fault_.gap || !chance(probability_, decision_random_)) {
      plan.delay += fault_.delay;
      ++counter_;
    } else {
      plan.immediate = true;
      counter_ = 0;
    }
  }
}

}  // namespace faultline::faults::shaper
