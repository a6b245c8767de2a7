#include "checkers/reference/phi_accrual.h"

#include <algorithm>
#include <cmath>
#include <utility>

namespace faultline::reference {

namespace {
double ms(Nanos ns) { return static_cast<double>(ns) / 1e6; }
}  // namespace

double phi_of(double time_diff_ms, double mean_ms, double std_deviation_ms) {
  double y = (time_diff_ms - mean_ms) / std_deviation_ms;
  double e = std::exp(-y * (1.5976 + 0.070566 * y * y));
  if (time_diff_ms > mean_ms) return -std::log10(e / (1.0 + e));
  return -std::log10(1.0 - 1.0 / (1.0 + e));
}

void HeartbeatHistory::add(double interval_ms) {
  if (max_ > 0 && intervals_.size() >= max_) {
    double old = intervals_.front();
    intervals_.pop_front();
    sum_ -= old;
    squared_sum_ -= old * old;
  }
  intervals_.push_back(interval_ms);
  sum_ += interval_ms;
  squared_sum_ += interval_ms * interval_ms;
}

double HeartbeatHistory::variance() const {
  if (intervals_.empty()) return 0.0;
  double m = mean();
  return std::max(0.0, squared_sum_ / static_cast<double>(intervals_.size()) - m * m);
}

double HeartbeatHistory::std_deviation() const { return std::sqrt(variance()); }

PhiAccrualDetector::PhiAccrualDetector(std::string observer, PhiAccrualConfig config)
    : observer_(std::move(observer)), config_(config) {}

double PhiAccrualDetector::phi(const State& state, Nanos now) const {
  if (!state.last) return 0.0;
  if (config_.exponential) {
    double m = state.history.mean();
    return m > 0 ? ms(now - *state.last) / m / std::log(10.0) : 0.0;
  }
  double mean = state.history.mean() + ms(config_.acceptable_heartbeat_pause);
  double sd = std::max(state.history.std_deviation(), ms(config_.min_std_deviation));
  return phi_of(ms(now - *state.last), mean, sd);
}

double PhiAccrualDetector::phi(const std::string& node, Nanos now) const {
  auto it = nodes_.find(node);
  return it == nodes_.end() ? 0.0 : phi(it->second, now);
}

Status PhiAccrualDetector::judge(const State& state, Nanos now) const {
  double p = phi(state, now);
  if (config_.dead_threshold > 0 && p >= config_.dead_threshold) return Status::kDead;
  if (p >= config_.threshold) return Status::kSuspect;
  return Status::kAlive;
}

std::vector<StatusChange> PhiAccrualDetector::heartbeat(const std::string& node, Nanos now) {
  auto it = nodes_.find(node);
  if (it == nodes_.end()) {
    it = nodes_.emplace(node, State(config_.max_sample_size)).first;
    double estimate = ms(config_.first_heartbeat_estimate);
    if (config_.exponential) {
      it->second.history.add(estimate);
    } else {
      it->second.history.add(estimate - estimate / 4);
      it->second.history.add(estimate + estimate / 4);
    }
  }
  State& state = it->second;
  if (config_.exponential) {
    if (state.last && (config_.max_interval == 0 || now - *state.last <= config_.max_interval))
      state.history.add(ms(now - *state.last));
  } else if (state.last && judge(state, now) == Status::kAlive) {
    state.history.add(ms(now - *state.last));
  }
  state.last = now;
  std::vector<StatusChange> changes;
  if (state.status != Status::kAlive) {
    state.status = Status::kAlive;
    changes.push_back(StatusChange{now, observer_, node, Status::kAlive, 0});
  }
  return notify(std::move(changes));
}

std::vector<StatusChange> PhiAccrualDetector::evaluate(Nanos now) {
  std::vector<StatusChange> changes;
  for (auto& [name, state] : nodes_) {
    Status next = judge(state, now);
    if (next == state.status) continue;
    state.status = next;
    changes.push_back(StatusChange{now, observer_, name, next, 0});
  }
  return notify(std::move(changes));
}

std::optional<Status> PhiAccrualDetector::status(const std::string& node) const {
  auto it = nodes_.find(node);
  if (it == nodes_.end()) return std::nullopt;
  return it->second.status;
}

const HeartbeatHistory* PhiAccrualDetector::history(const std::string& node) const {
  auto it = nodes_.find(node);
  return it == nodes_.end() ? nullptr : &it->second.history;
}

std::vector<StatusChange> PhiAccrualDetector::notify(std::vector<StatusChange> changes) {
  if (listener_) {
    for (const auto& change : changes) listener_(change);
  }
  return changes;
}

}  // namespace faultline::reference
