// Client records: the client processes of a run, kept in the cluster's
// state file so that they never outlive the run.
//
// A run's client processes each lead their own process group. The runner
// records every group ({"pid", "start_time", "pgid"}) under the state's
// "clients" key before the workload starts. If the controller dies, its
// clients die with it (a parent-death signal and a watchdog process, see
// controller/run/client_workload.h); whatever is left is killed by
// `faultline cluster down` (and by every teardown) from this record.
//
// Contract: kill_recorded_clients() sends SIGKILL to each recorded group
// that is still ours — its leader alive with the recorded start time, or,
// once the leader is gone, members that started no earlier than it — and
// never to a group whose id now belongs to another process. Returns what it
// could not kill.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace faultline::controller {

std::vector<std::string> kill_recorded_clients(const nlohmann::json& state);

}  // namespace faultline::controller
