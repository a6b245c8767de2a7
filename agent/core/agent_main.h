// run_agent: the whole `faultline-agent` program behind main(), so a test
// build can link the same program with extra (test-only) mechanisms.
//
// Contract: parses the command line (--listen, --token-file, --state-dir,
// --probe [--json], --log-file, --events-file, --clock-lib, --interface,
// --event-buffer), then serves until SIGTERM/SIGINT, healing everything
// before it returns. Exit codes: 0 clean exit, 1 startup failure (bad token
// file, state dir locked by another agent, cannot listen), 254 bad arguments.
#pragma once

namespace faultline::agent {

int run_agent(int argc, char** argv);  // never throws: exceptions are logged, exit 255

}  // namespace faultline::agent
