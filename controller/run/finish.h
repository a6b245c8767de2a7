// The last phases of a run: make the hosts clean, then judge and write.
//
// Contract:
//  - verify_healed() asks every connected agent to heal everything and then
//    to list its faults; a node that is not connected, fails either step or
//    still lists a fault makes summary.healed_verified false (a run error).
//    Then it stops the SUT on every connected node.
//  - tear_down_sut() runs sut.teardown (sh -c, node placeholders) inside
//    every connected node through its agent, with sut.teardown_timeout;
//    a failure is a warning (console, history, results.json), not a
//    verdict.
//  - finish() lets events already on the wire arrive (200 ms), closes the
//    history, copies agent and SUT logs into OUT/logs/<node>/, tears the
//    cluster down, runs the checkers over the history as written, writes
//    results.json, junit.xml and report.html, prints each checker's verdict,
//    the overall verdict and the report's path, and returns the exit code:
//    2 when interrupted, else refused_code when set, else the verdict's.
#pragma once

#include "controller/run/run_context.h"

namespace faultline::controller {

void verify_healed(RunContext& ctx);
void tear_down_sut(RunContext& ctx);
int finish(RunContext& ctx);

}  // namespace faultline::controller
