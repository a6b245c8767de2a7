// ActiveFault and PacketPlan: what the shaper does to one packet.
//
// Contract: an ActiveFault is a ShaperFault with the random state netem keeps
// per qdisc (one correlated stream per decision, the reorder counter).
// contribute() adds its decision for one packet to a PacketPlan, in
// netem_enqueue()'s order: duplicate (never for a packet that is itself a
// duplicate, as netem disables duplication while re-enqueueing the clone),
// corrupt, then delay / reorder. When several shaper faults match one packet
// their delays add up, and a reorder fault that picks the packet sends it at
// once (delay 0), as netem puts it at the head of its queue.
#pragma once

#include <cstdint>

#include "faults/net/shaper/netem_random.h"
#include "faults/net/shaper/shaper_fault.h"

namespace faultline::faults::shaper {

struct PacketPlan {
  bool duplicate = false;
  bool corrupt = false;
  bool recompute_checksum = true;
  bool immediate = false;  // a reorder fault chose this packet to go at once
  Nanos delay = 0;

  Nanos effective_delay() const { return immediate ? 0 : delay; }
};

class ActiveFault {
 public:
  ActiveFault(ShaperFault fault, Prng& prng);

  const ShaperFault& fault() const { return fault_; }
  void contribute(PacketPlan& plan, bool packet_is_duplicate);

 private:
  ShaperFault fault_;
  std::uint32_t probability_;
  CorrelatedRandom decision_random_;  // dup_cor / corrupt_cor / reorder_cor
  CorrelatedRandom delay_random_;     // delay_cor
  std::uint32_t counter_ = 0;         // netem's reorder counter
};

}  // namespace faultline::faults::shaper
