// LeaseRenewer: keeps the run's faults alive on every agent.
//
// Contract: while it lives, a thread renews every agent connection's leases
// every lease/3 (at least every 100 ms), printing a warning for a renewal
// that fails. If the controller dies, renewals stop and each agent heals on
// its own when the lease runs out. stop() (or the destructor) joins it.
#pragma once

#include <atomic>
#include <thread>

#include "controller/run/run_context.h"

namespace faultline::controller {

class LeaseRenewer {
 public:
  explicit LeaseRenewer(RunContext& ctx);
  ~LeaseRenewer() { stop(); }
  LeaseRenewer(const LeaseRenewer&) = delete;
  LeaseRenewer& operator=(const LeaseRenewer&) = delete;
  void stop();

 private:
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace faultline::controller
