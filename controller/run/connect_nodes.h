// connect_nodes: the second phase of a run — the cluster and its agents.
//
// Contract: asks the provider for the cluster, connects once to every agent
// (in parallel), says hello, estimates each agent's clock offset from 8
// round trips (Cristian, clock_offset.h), and refuses the run (refused_code
// 254) when an agent does not offer a fault kind the schedule can produce,
// naming node, kind and the agent's reason. Returns false when the run
// cannot go on (every problem recorded with ctx.error()); an interrupt during
// bring-up returns false without an error.
#pragma once

#include "controller/run/run_context.h"

namespace faultline::controller {

bool connect_nodes(RunContext& ctx);

}  // namespace faultline::controller
