#include "checkers/reference/recovery_queue.h"

#include <utility>

namespace faultline::reference {

const char* to_string(RecoveryOutcome outcome) {
  switch (outcome) {
    case RecoveryOutcome::kSucceeded: return "succeeded";
    case RecoveryOutcome::kFailed: return "failed";
    case RecoveryOutcome::kUnknownType: return "unknown-type";
  }
  return "failed";
}

void RecoveryQueue::register_strategy(const std::string& failure_type, RecoveryStrategy strategy) {
  strategies_[failure_type] = std::move(strategy);
}

void RecoveryQueue::enqueue(RecoveryTask task, Nanos now) {
  std::uint64_t order = next_order_++;
  int key = -task.priority;
  queue_.emplace(std::make_pair(key, order), Entry{std::move(task), now, order});
}

std::optional<RecoveryRecord> RecoveryQueue::dispatch_next(Nanos now) {
  if (queue_.empty()) return std::nullopt;
  auto node = queue_.extract(queue_.begin());
  Entry& entry = node.mapped();
  RecoveryRecord record;
  record.task = entry.task;
  record.enqueued_at = entry.enqueued_at;
  record.dispatched_at = now;
  auto it = strategies_.find(entry.task.failure_type);
  if (it == strategies_.end() || !it->second) {
    record.outcome = RecoveryOutcome::kUnknownType;
    record.detail = "no recovery strategy registered for failure type '" + entry.task.failure_type + "'";
    unhandled_.push_back(std::move(entry.task));
  } else {
    StrategyResult r = it->second(entry.task, now);
    record.outcome = r.success ? RecoveryOutcome::kSucceeded : RecoveryOutcome::kFailed;
    record.detail = std::move(r.detail);
  }
  records_.push_back(record);
  return record;
}

std::vector<RecoveryRecord> RecoveryQueue::dispatch_all(Nanos now) {
  std::vector<RecoveryRecord> out;
  while (auto r = dispatch_next(now)) out.push_back(std::move(*r));
  return out;
}

std::size_t RecoveryQueue::requeue_unhandled(Nanos now) {
  std::vector<RecoveryTask> tasks = std::move(unhandled_);
  unhandled_.clear();
  for (auto& t : tasks) enqueue(std::move(t), now);
  return tasks.size();
}

}  // namespace faultline::reference
