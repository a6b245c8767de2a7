#include "checkers/reference/redundancy.h"

#include <set>
#include <utility>

namespace faultline::reference {

const char* to_string(QuorumOutcome outcome) {
  switch (outcome) {
    case QuorumOutcome::kPending: return "pending";
    case QuorumOutcome::kSucceeded: return "succeeded";
    case QuorumOutcome::kFailed: return "failed";
  }
  return "pending";
}

Result<QuorumOperation> QuorumOperation::make(QuorumConfig config) {
  std::size_t total = config.primaries.size() + config.backups.size();
  if (config.quorum < 1) return invalid_input("quorum: quorum must be >= 1");
  if (config.quorum > total) {
    return invalid_input("quorum: quorum " + std::to_string(config.quorum) + " exceeds the " +
                         std::to_string(total) + " replicas (primaries + backups)");
  }
  if (config.timeout < 0) return invalid_input("quorum: timeout must be >= 0");
  std::set<std::string> seen;
  for (const auto* list : {&config.primaries, &config.backups}) {
    for (const auto& r : *list) {
      if (!seen.insert(r).second) return invalid_input("quorum: replica '" + r + "' named twice");
    }
  }
  return QuorumOperation(std::move(config));
}

QuorumOperation::QuorumOperation(QuorumConfig config) : config_(std::move(config)) {
  for (const auto& r : config_.primaries) replicas_[r] = ReplicaState::kIdle;
  for (const auto& r : config_.backups) replicas_[r] = ReplicaState::kIdle;
}

std::vector<std::string> QuorumOperation::start(Nanos now) {
  if (started_) return {};
  started_ = true;
  deadline_ = config_.timeout > 0 ? now + config_.timeout : 0;
  for (const auto& r : config_.primaries) {
    replicas_[r] = ReplicaState::kOutstanding;
    dispatched_.push_back(r);
  }
  return config_.primaries;
}

std::size_t QuorumOperation::outstanding() const {
  std::size_t n = 0;
  for (const auto& [name, state] : replicas_) n += state == ReplicaState::kOutstanding;
  return n;
}

std::size_t QuorumOperation::unused_backups() const {
  std::size_t n = 0;
  for (std::size_t i = next_backup_; i < config_.backups.size(); ++i) {
    n += replicas_.at(config_.backups[i]) == ReplicaState::kIdle;
  }
  return n;
}

void QuorumOperation::decide(Nanos now) {
  if (outcome_ != QuorumOutcome::kPending) return;
  if (successes_ >= config_.quorum) {
    outcome_ = QuorumOutcome::kSucceeded;
  } else if (successes_ + outstanding() + unused_backups() < config_.quorum) {
    outcome_ = QuorumOutcome::kFailed;
  } else {
    return;
  }
  decided_at_ = now;
}

std::optional<std::string> QuorumOperation::take_backup() {
  while (next_backup_ < config_.backups.size()) {
    const std::string& b = config_.backups[next_backup_++];
    if (replicas_[b] == ReplicaState::kIdle) return b;
  }
  return std::nullopt;
}

QuorumStep QuorumOperation::step(std::vector<std::string> dispatch, bool was_pending) const {
  QuorumStep out;
  out.outcome = outcome_;
  out.dispatch = std::move(dispatch);
  if (was_pending && outcome_ != QuorumOutcome::kPending) out.cancel = to_cancel();
  return out;
}

void QuorumOperation::fail_over(std::vector<std::string>& dispatch) {
  if (auto b = take_backup()) {
    replicas_[*b] = ReplicaState::kOutstanding;
    dispatched_.push_back(*b);
    dispatch.push_back(*b);
  }
}

QuorumStep QuorumOperation::succeeded(const std::string& replica, Nanos now) {
  auto it = replicas_.find(replica);
  if (outcome_ != QuorumOutcome::kPending || it == replicas_.end() || it->second != ReplicaState::kOutstanding) {
    return step({}, false);
  }
  it->second = ReplicaState::kSucceeded;
  ++successes_;
  decide(now);
  return step({}, true);
}

QuorumStep QuorumOperation::failed(const std::string& replica, Nanos now) {
  auto it = replicas_.find(replica);
  if (outcome_ != QuorumOutcome::kPending || it == replicas_.end() || it->second != ReplicaState::kOutstanding) {
    return step({}, false);
  }
  it->second = ReplicaState::kFailed;
  std::vector<std::string> dispatch;
  if (config_.failover_on_failure) fail_over(dispatch);
  decide(now);
  return step(outcome_ == QuorumOutcome::kPending ? dispatch : std::vector<std::string>{}, true);
}

QuorumStep QuorumOperation::replica_dead(const std::string& replica, Nanos now) {
  auto it = replicas_.find(replica);
  if (it == replicas_.end()) return step({}, false);
  ReplicaState previous = it->second;
  if (previous == ReplicaState::kIdle || previous == ReplicaState::kOutstanding) it->second = ReplicaState::kDead;
  bool was_pending = outcome_ == QuorumOutcome::kPending;
  std::vector<std::string> dispatch;
  if (was_pending && previous == ReplicaState::kOutstanding) fail_over(dispatch);
  if (was_pending) decide(now);
  return step(outcome_ == QuorumOutcome::kPending ? dispatch : std::vector<std::string>{}, was_pending);
}

QuorumStep QuorumOperation::tick(Nanos now) {
  bool was_pending = outcome_ == QuorumOutcome::kPending;
  if (was_pending && started_ && deadline_ > 0 && now >= deadline_) {
    outcome_ = QuorumOutcome::kFailed;
    decided_at_ = now;
  }
  return step({}, was_pending);
}

std::vector<std::string> QuorumOperation::to_cancel() const {
  std::vector<std::string> out;
  if (outcome_ == QuorumOutcome::kPending) return out;
  for (const auto& r : dispatched_) {
    if (replicas_.at(r) == ReplicaState::kOutstanding) out.push_back(r);
  }
  return out;
}

ReplicaState QuorumOperation::state(const std::string& replica) const {
  auto it = replicas_.find(replica);
  return it == replicas_.end() ? ReplicaState::kIdle : it->second;
}

}  // namespace faultline::reference
