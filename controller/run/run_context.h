// RunContext: what the phases of one `faultline run` share.
//
// Contract: run_suite() (runner.h) owns one RunContext and hands it to each
// phase in turn (preflight -> connect_nodes -> start_sut -> client workload
// and nemesis -> finish). A phase records problems with error() (the run's
// summary, the console and the history all get them) and returns false when
// the run cannot go on; finish() runs whatever happened before. Fields are
// filled in phase order: `schedule` and `provider` by preflight, `cluster`
// and `links` by connect_nodes, `t0` when the history begins (0 until then),
// `schedule_zero` when every SUT is up. `active` is shared by the nemesis,
// the progress line and finish, behind its own lock.
#pragma once

#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "agent/client/agent_client.h"
#include "controller/cluster/provider.h"
#include "controller/nemesis/schedule.h"
#include "controller/output/run_summary.h"
#include "controller/run/clock_offset.h"
#include "controller/run/console.h"
#include "controller/run/history_recorder.h"
#include "controller/run/runner.h"
#include "controller/suite/suite.h"

namespace faultline::controller {

// The controller's connection to one node's agent.
struct NodeLink {
  NodeInfo info;
  std::unique_ptr<agent::AgentClient> client;
  ClockOffset offset;
  nlohmann::json capabilities;
};

// A scheduled fault that is in effect: the agents' ids for it, per node.
struct ActiveFault {
  const ScheduledFault* fault = nullptr;
  std::map<std::string, std::string> agent_ids;  // node -> agent's fault id
  std::size_t summary_index = 0;                 // in RunSummary::faults
};

class ActiveFaults {
 public:
  void add(ActiveFault fault);
  // Removes and returns the entry of `fault`, if it is active.
  std::optional<ActiveFault> take(const ScheduledFault* fault);
  std::vector<ActiveFault> take_all();
  std::string labels() const;  // "partition:f1 kill:f2", empty when none

 private:
  mutable std::mutex mutex_;
  std::vector<ActiveFault> faults_;
};

struct RunContext {
  RunContext(const Suite& s, const RunnerOptions& o, Console& c) : suite(s), options(o), console(c) {}

  const Suite& suite;
  const RunnerOptions& options;
  Console& console;

  std::vector<ScheduledFault> schedule;
  std::unique_ptr<Provider> provider;
  std::filesystem::path dir;      // this run's output directory
  std::string suite_dir;          // the suite file's directory, absolute ({suite_dir})

  RunSummary summary;             // guarded by summary_mutex once the nemesis runs
  std::mutex summary_mutex;
  HistoryRecorder history;
  std::unique_ptr<Cluster> cluster;
  std::vector<NodeLink> links;
  ActiveFaults active;

  Nanos t0 = 0;                   // controller CLOCK_MONOTONIC at history time 0; 0 = not begun
  Nanos schedule_zero = 0;        // history time at which the schedule's time 0 falls
  int refused_code = 0;           // 254 when refused after the cluster came up

  Nanos now() const { return monotonic_now() - t0; }
  bool history_begun() const { return t0 != 0; }
  void log(const std::string& message);    // a "log" line in the history (once it has begun)
  void error(const std::string& message);  // a run error: summary, console, history
  void warn(const std::string& message);   // a warning: summary, console, history (no verdict change)
  std::vector<NodeInfo> node_infos() const;
  std::map<std::string, std::size_t> node_index() const;  // node name -> index in links
};

}  // namespace faultline::controller
