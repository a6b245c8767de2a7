// The progress line of a run.
//
// Contract: report_progress() returns a task that, while it lives, prints
// "[elapsed / duration] faults: ACTIVE | events: N (RATE/s)" every 0.5 s on
// a terminal, every 5 s otherwise (ctx.console decides how it shows).
// Stopping it leaves the console to clear the status line (Console::finish).
#pragma once

#include <memory>

#include "controller/run/periodic_task.h"
#include "controller/run/run_context.h"

namespace faultline::controller {

std::unique_ptr<PeriodicTask> report_progress(RunContext& ctx);

}  // namespace faultline::controller
