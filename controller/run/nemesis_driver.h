// NemesisDriver: the phase that executes the fault schedule.
//
// Contract: run() walks the schedule's starts and ends in time order (at
// equal times, ends before starts), waiting until each one's schedule time
// (ctx.schedule_zero + t), then until the suite's duration has passed.
// A start expands the fault for each target (a partition becomes one spec per
// node with the peers its grudge drops; other kinds get the node's
// placeholders), applies it on every target at once through the agents with
// the suite's lease, and records a "fault" start line with the effective
// targets (for partitions the grudge) and any per-node errors; an end heals
// it on every node it was applied on and records the end line. Both go to
// the console and to the run summary. Failures are per node: a fault that
// failed on one node still runs on the others. Returns false when
// interrupted. heal_active() heals whatever is still active (the run is
// ending early) and records the ends.
#pragma once

#include "controller/run/run_context.h"

namespace faultline::controller {

class NemesisDriver {
 public:
  explicit NemesisDriver(RunContext& ctx) : ctx_(ctx) {}
  bool run();
  void heal_active();

 private:
  bool wait_until(Nanos schedule_time);
  void start(const ScheduledFault& fault);
  void end(const ScheduledFault& fault);
  std::map<std::string, nlohmann::json> node_specs(const ScheduledFault& fault);

  RunContext& ctx_;
};

}  // namespace faultline::controller
