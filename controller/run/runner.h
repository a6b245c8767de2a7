// Runner: `faultline run` end to end — the control loop of one test.
//
// Contract: run_suite() takes a parsed Suite and
//  1. builds the schedule (or takes options.schedule, a replay) and refuses, before anything starts, what cannot
//     run (unknown provider, bad provider options, clock faults without a
//     per-process clock or "mechanism":"system");
//  2. brings the cluster up (provider.h), connects once to every agent,
//     checks every agent's capabilities against every kind the schedule can
//     produce (refusing with node, kind and reason), estimates each agent's
//     clock offset (Cristian, clock_offset.h), subscribes to SUT events,
//     renews leases every lease/3, starts the SUT and waits until it is up;
//  3. runs the client workload and the nemesis schedule, recording
//     history.jsonl as it goes (cluster, fault start/end with effective
//     targets and grudges, SUT events on the controller timeline, client ops);
//  4. heals everything, verifies every agent lists no fault, stops the SUT,
//     copies agent and SUT logs, tears the cluster down, runs the checkers
//     and writes results.json, junit.xml and report.html into
//     OUT/<suite>/<timestamp>/ (and points OUT/<suite>/latest at it).
// SIGINT/SIGTERM at any point: heal everything, write what there is, exit 2.
// Returns the exit code (output/exit_codes.h): the verdict, 254 for a suite that
// cannot run here (refused before the run), 255 for an internal failure.
#pragma once

#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "agent/client/agent_client.h"
#include "controller/nemesis/schedule.h"
#include "controller/suite/suite.h"

namespace faultline::controller {

using AgentConnector = std::function<Result<std::unique_ptr<agent::AgentClient>>(const agent::AgentEndpoint&)>;

struct RunnerOptions {
  std::filesystem::path out_root = "out";
  std::filesystem::path bin_dir;        // where faultline-agent is (default: beside this program)
  std::optional<bool> progress_tty;     // default: isatty(stderr)
  AgentConnector connect;               // default: AgentClient::connect
  bool quiet = false;
  std::vector<std::string> sets;        // the --set overrides the suite was loaded with (recorded in results.json)
  // Run exactly these faults instead of building the schedule from the
  // suite (replay.h); `replay_of` is recorded in results.json beside them.
  std::optional<std::vector<ScheduledFault>> schedule;
  nlohmann::json replay_of;
};

int run_suite(const Suite& suite, const RunnerOptions& options);

// The default connector: AgentClient::connect.
AgentConnector default_agent_connector();

// Directory of the running program (/proc/self/exe).
std::filesystem::path self_dir();

}  // namespace faultline::controller
