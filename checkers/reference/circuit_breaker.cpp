#include "checkers/reference/circuit_breaker.h"

#include <algorithm>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace faultline::reference {

const char* to_string(BreakerPolicy policy) {
  return policy == BreakerPolicy::kConsecutive ? "consecutive" : "rate";
}

const char* to_string(BreakerStateKind state) {
  switch (state) {
    case BreakerStateKind::kClosed: return "closed";
    case BreakerStateKind::kOpen: return "open";
    case BreakerStateKind::kHalfOpen: return "half_open";
  }
  return "?";
}

Result<void> validate(const BreakerConfig& c) {
  auto bad = [](const char* field, const std::string& why) {
    return invalid_input(fmt::format("breaker: {} {}", field, why));
  };
  if (c.failure_threshold < 1) return bad("failure_threshold", "must be >= 1");
  if (c.window_size < 1) return bad("window_size", "must be >= 1");
  if (c.minimum_calls < 1) return bad("minimum_calls", "must be >= 1");
  if (!(c.failure_rate_threshold > 0 && c.failure_rate_threshold <= 100))
    return bad("failure_rate_threshold", "must be a percent in (0, 100]");
  if (c.recovery_timeout < 0) return bad("recovery_timeout", "must be >= 0");
  if (c.half_open_max_calls < 1) return bad("half_open_max_calls", "must be >= 1");
  if (c.success_threshold < 1) return bad("success_threshold", "must be >= 1");
  return ok_result();
}

std::string to_jsonl(const BreakerRecord& r, const std::string& node, const std::string& name) {
  nlohmann::ordered_json j;
  j["time"] = r.time;
  j["type"] = "breaker";
  j["node"] = node;
  j["name"] = name;
  switch (r.kind) {
    case BreakerRecord::Kind::kCall:
      j["event"] = "call";
      j["call"] = r.call;
      j["permitted"] = r.permitted;
      break;
    case BreakerRecord::Kind::kResult:
      j["event"] = "result";
      j["call"] = r.call;
      j["outcome"] = r.success ? "success" : "failure";
      break;
    case BreakerRecord::Kind::kTransition:
      j["event"] = "transition";
      j["from"] = to_string(r.transition.from);
      j["to"] = to_string(r.transition.to);
      break;
  }
  return j.dump();
}

CircuitBreaker::CircuitBreaker(BreakerConfig config) : config_(config) {
  if (config_.policy == BreakerPolicy::kRate) window_.assign(static_cast<std::size_t>(std::max(1, config_.window_size)), false);
}

void CircuitBreaker::transition(Nanos now, BreakerStateKind to, std::optional<BreakerTransition>& out) {
  BreakerTransition t{state_, to};
  state_ = to;
  ++generation_;
  consecutive_failures_ = 0;
  window_count_ = 0;
  window_failures_ = 0;
  window_next_ = 0;
  trials_in_flight_ = 0;
  trial_successes_ = 0;
  if (to == BreakerStateKind::kOpen) opened_at_ = now;
  out = t;
  BreakerRecord record;
  record.kind = BreakerRecord::Kind::kTransition;
  record.time = now;
  record.transition = t;
  emit(record);
}

CircuitBreaker::Decision CircuitBreaker::allow(Nanos now, std::int64_t call) {
  Decision d;
  d.call = call < 0 ? next_call_ : call;
  next_call_ = std::max(next_call_, d.call + 1);
  switch (state_) {
    case BreakerStateKind::kClosed:
      d.permitted = true;
      break;
    case BreakerStateKind::kOpen:
      if (now >= reopen_time()) {
        transition(now, BreakerStateKind::kHalfOpen, d.transition);
        d.permitted = true;
        ++trials_in_flight_;
      }
      break;
    case BreakerStateKind::kHalfOpen:
      if (trials_in_flight_ < config_.half_open_max_calls) {
        d.permitted = true;
        ++trials_in_flight_;
      }
      break;
  }
  if (d.permitted) in_flight_[d.call] = generation_;
  BreakerRecord record;
  record.kind = BreakerRecord::Kind::kCall;
  record.time = now;
  record.call = d.call;
  record.permitted = d.permitted;
  emit(record);
  return d;
}

bool CircuitBreaker::should_trip_closed(bool success) {
  if (config_.policy == BreakerPolicy::kConsecutive) {
    if (success) {
      consecutive_failures_ = 0;
      return false;
    }
    return ++consecutive_failures_ >= config_.failure_threshold;
  }
  // rate: count-based sliding window (resilience4j)
  const std::size_t size = window_.size();
  if (window_count_ == static_cast<int>(size)) {
    if (window_[window_next_]) --window_failures_;
  } else {
    ++window_count_;
  }
  window_[window_next_] = !success;
  if (!success) ++window_failures_;
  window_next_ = (window_next_ + 1) % size;
  const int minimum = std::min(config_.minimum_calls, config_.window_size);
  if (window_count_ < minimum) return false;
  const double rate = 100.0 * window_failures_ / window_count_;
  return rate >= config_.failure_rate_threshold;
}

CircuitBreaker::Outcome CircuitBreaker::record(Nanos now, std::int64_t call, bool success) {
  Outcome o;
  BreakerRecord record;
  record.kind = BreakerRecord::Kind::kResult;
  record.time = now;
  record.call = call;
  record.success = success;
  emit(record);
  auto it = in_flight_.find(call);
  if (it == in_flight_.end()) return o;
  o.known = true;
  const bool current = it->second == generation_;
  in_flight_.erase(it);
  if (!current) return o;  // stale: admitted before the last transition
  o.counted = true;
  switch (state_) {
    case BreakerStateKind::kClosed:
      if (should_trip_closed(success)) transition(now, BreakerStateKind::kOpen, o.transition);
      break;
    case BreakerStateKind::kHalfOpen:
      --trials_in_flight_;
      if (!success) {
        transition(now, BreakerStateKind::kOpen, o.transition);
      } else if (++trial_successes_ >= config_.success_threshold) {
        transition(now, BreakerStateKind::kClosed, o.transition);
      }
      break;
    case BreakerStateKind::kOpen:
      break;  // cannot happen: open admits nothing in its generation
  }
  return o;
}

}  // namespace faultline::reference
