// Heartbeat failure detector: per-node last heartbeat, judged by silence.
//
// Contract (all times are the caller's, int64 ns; nothing here reads a clock):
//  - heartbeat(node, now) records a heartbeat. An unknown node is added. A
//    node that was suspect or dead turns alive (healthy) at once, and that
//    change is returned.
//  - evaluate(now) sweeps the node table and returns the changes it made.
//    With silence = now - last heartbeat:
//        silence <  timeout/2  -> alive   (healthy)
//        silence >= timeout/2  -> suspect
//        silence >= timeout    -> dead    (failed); failure_count += 1 on
//                                 each transition into dead.
//    A node can pass straight from alive to dead in one sweep (one change,
//    to dead). Verdicts only move forward with silence; only a heartbeat
//    brings a node back to alive.
//  - The node table is one object owned by the detector: table() returns a
//    reference to it, and sweep() is the free function a background task
//    must run ON THAT REFERENCE. A background task that sweeps a copy of the
//    table (the classic mistake: `auto nodes = detector.table();` in the
//    task) updates the copy and never reports a silent node;
//    check_background_sweep() detects exactly that.
//  - Incarnation in reported changes is the one passed with the node's last
//    heartbeat (0 unless the service numbers its heartbeats' generations).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "checkers/reference/detector_status.h"
#include "common/result.h"
#include "common/units.h"

namespace faultline::reference {

struct HeartbeatConfig {
  Nanos timeout = 3'000'000'000;  // silence after which a node is dead; suspect at timeout/2
};

struct NodeRecord {
  Nanos last_heartbeat = 0;
  Status status = Status::kAlive;
  std::uint64_t failure_count = 0;  // transitions into dead
  std::uint64_t incarnation = 0;
};

using NodeTable = std::map<std::string, NodeRecord>;

// The background sweep: updates `table` in place at `now` and returns the
// changes made, with `observer` as the observer.
std::vector<StatusChange> sweep(NodeTable& table, const HeartbeatConfig& config,
                                const std::string& observer, Nanos now);

class HeartbeatDetector {
 public:
  HeartbeatDetector(std::string observer, HeartbeatConfig config = {});

  // Optional: also called for every change returned by heartbeat()/evaluate().
  void set_listener(ChangeListener listener) { listener_ = std::move(listener); }

  std::vector<StatusChange> heartbeat(const std::string& node, Nanos now, std::uint64_t incarnation = 0);
  std::vector<StatusChange> evaluate(Nanos now);

  // Starts tracking `node` as alive as if it had sent a heartbeat at `now`.
  void add(const std::string& node, Nanos now) { table_[node] = NodeRecord{now, Status::kAlive, 0, 0}; }
  void remove(const std::string& node) { table_.erase(node); }

  std::optional<Status> status(const std::string& node) const;
  std::uint64_t failure_count(const std::string& node) const;

  // The one node table. A background task must sweep this reference.
  NodeTable& table() { return table_; }
  const NodeTable& table() const { return table_; }
  const HeartbeatConfig& config() const { return config_; }
  const std::string& observer() const { return observer_; }

 private:
  std::vector<StatusChange> notify(std::vector<StatusChange> changes);

  std::string observer_;
  HeartbeatConfig config_;
  NodeTable table_;
  ChangeListener listener_;
};

// One step of a service's background task: given the detector and `now`, it
// is expected to sweep the detector's node table.
using BackgroundStep = std::function<void(HeartbeatDetector&, Nanos)>;

// Checks that `step` updates the detector's REAL node table: registers two
// nodes at time 0, keeps one sending heartbeats, silences the other, runs
// `step` at timeout/2 and at timeout and requires the silent node to be
// suspect and then dead (and the other alive) in detector.table(). Returns an
// kInternal Error describing what the table still says otherwise, e.g. when
// the step sweeps a copy of the table.
Result<void> check_background_sweep(const BackgroundStep& step, HeartbeatConfig config = {});

}  // namespace faultline::reference
