// begin_history: the phase that starts the run's timeline.
//
// Contract: opens OUT/history.jsonl, sets ctx.t0 (history time 0 is now),
// records the "cluster" line and a "log" line with the suite, seed, provider,
// cluster id and each agent's clock offset, then subscribes to every
// agent's SUT events: each event is mapped from the agent's monotonic clock
// onto the controller timeline with that agent's offset and recorded with
// the node's name (unless it names one). Returns false when the history
// cannot be written or an agent's events cannot be subscribed to (each
// recorded with ctx.error()).
#pragma once

#include "controller/run/run_context.h"

namespace faultline::controller {

bool begin_history(RunContext& ctx);

}  // namespace faultline::controller
