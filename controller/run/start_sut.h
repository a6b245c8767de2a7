// start_sut: the phase that starts the system under test on every node.
//
// Contract: through each node's agent (in parallel), starts the suite's SUT
// command with its placeholders expanded for that node (placeholders.h) and
// FAULTLINE_NODE in its environment, then waits until it is ready as
// sut.ready says within ready.timeout: none, a delay, a TCP port on the
// node's address (tried from the controller), or a command that exits 0 —
// run inside the node (its namespace, container or host) through its
// agent, retried every 200 ms. On success sets
// ctx.schedule_zero (the schedule's time 0 on the history timeline) and
// logs it. Returns false when a SUT did not start or was not ready (each
// recorded with ctx.error()) or the run was interrupted.
#pragma once

#include "controller/run/run_context.h"

namespace faultline::controller {

bool start_sut(RunContext& ctx);

}  // namespace faultline::controller
