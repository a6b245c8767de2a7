// The lease renewer: keeps the run's faults alive on every agent.
//
// Contract: renew_leases() returns a task that, while it lives, renews every
// agent connection's leases every lease/3 (at least every 100 ms), printing
// a warning for a renewal that fails. If the controller dies, renewals stop
// and each agent heals on its own when the lease runs out.
#pragma once

#include <memory>

#include "controller/run/periodic_task.h"
#include "controller/run/run_context.h"

namespace faultline::controller {

std::unique_ptr<PeriodicTask> renew_leases(RunContext& ctx);

}  // namespace faultline::controller
