// Recovery queue: recovery tasks keyed by failure type and priority,
// dispatched highest priority first to the strategy registered for the type.
//
// Contract:
//  - enqueue(task, now) adds a task; tasks are ordered by priority (higher
//    first), then by enqueue order (FIFO among equal priorities).
//  - dispatch_next(now) pops the first task and, if a strategy is registered
//    for its failure_type, runs it and records its outcome (succeeded /
//    failed, with the strategy's detail). A task whose type has no strategy
//    is NOT dropped: it is recorded with outcome kUnknownType and kept in
//    unhandled(), from where requeue_unhandled() puts it back (e.g. after the
//    missing strategy has been registered).
//  - Every dispatched task appears once in records(), in dispatch order, with
//    its time. Strategies get the time as an argument; the queue reads no
//    clock. register_strategy() replaces an existing strategy for the type.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/units.h"

namespace faultline::reference {

struct RecoveryTask {
  std::string id;
  std::string failure_type;  // e.g. "NodeCrash", "NetworkPartition"
  int priority = 0;          // higher runs first
  std::string subject;       // what to recover (a node, a disk, ...)
};

enum class RecoveryOutcome { kSucceeded, kFailed, kUnknownType };
const char* to_string(RecoveryOutcome outcome);

struct StrategyResult {
  bool success = false;
  std::string detail;
};

using RecoveryStrategy = std::function<StrategyResult(const RecoveryTask&, Nanos now)>;

struct RecoveryRecord {
  RecoveryTask task;
  Nanos enqueued_at = 0;
  Nanos dispatched_at = 0;
  RecoveryOutcome outcome = RecoveryOutcome::kFailed;
  std::string detail;
};

class RecoveryQueue {
 public:
  void register_strategy(const std::string& failure_type, RecoveryStrategy strategy);
  bool has_strategy(const std::string& failure_type) const { return strategies_.count(failure_type) > 0; }

  void enqueue(RecoveryTask task, Nanos now);
  std::optional<RecoveryRecord> dispatch_next(Nanos now);
  std::vector<RecoveryRecord> dispatch_all(Nanos now);

  std::size_t size() const { return queue_.size(); }
  const std::vector<RecoveryRecord>& records() const { return records_; }
  const std::vector<RecoveryTask>& unhandled() const { return unhandled_; }
  // Moves every unhandled task back into the queue; returns how many.
  std::size_t requeue_unhandled(Nanos now);

 private:
  struct Entry {
    RecoveryTask task;
    Nanos enqueued_at = 0;
    std::uint64_t order = 0;
  };
  std::map<std::string, RecoveryStrategy> strategies_;
  // Key: (-priority, order) so begin() is the next task.
  std::map<std::pair<int, std::uint64_t>, Entry> queue_;
  std::uint64_t next_order_ = 0;
  std::vector<RecoveryRecord> records_;
  std::vector<RecoveryTask> unhandled_;
};

}  // namespace faultline::reference
