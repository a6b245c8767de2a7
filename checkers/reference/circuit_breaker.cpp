#include "checkers/reference/circuit_breaker.h"

#include <algorithm>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace faultline::reference {

const char* to_string(BreakerPolicy policy) {
  switch (policy) {
    case BreakerPolicy::kConsecutive: return "consecutive";
    case BreakerPolicy::kRate: return "rate";
    case BreakerPolicy::kTime: return "time";
  }
  return "?";
}

const char* to_string(BreakerStateKind state) {
  switch (state) {
    case BreakerStateKind::kClosed: return "closed";
    case BreakerStateKind::kOpen: return "open";
    case BreakerStateKind::kHalfOpen: return "half_open";
  }
  return "?";
}

const char* to_string(HalfOpenEntry entry) {
  switch (entry) {
    case HalfOpenEntry::kOnCall: return "on_call";
    case HalfOpenEntry::kOnAccess: return "on_access";
    case HalfOpenEntry::kTimer: return "timer";
  }
  return "?";
}

const char* to_string(HalfOpenLimit limit) {
  switch (limit) {
    case HalfOpenLimit::kInFlight: return "in_flight";
    case HalfOpenLimit::kPerState: return "per_state";
    case HalfOpenLimit::kUnlimited: return "unlimited";
  }
  return "?";
}

const char* to_string(HalfOpenVerdict verdict) { return verdict == HalfOpenVerdict::kCount ? "count" : "rate"; }
const char* to_string(StaleResults stale) { return stale == StaleResults::kIgnore ? "ignore" : "count"; }
const char* to_string(OpenResults open) { return open == OpenResults::kIgnore ? "ignore" : "count"; }

Result<void> validate(const BreakerConfig& c) {
  auto bad = [](const char* field, const std::string& why) {
    return invalid_input(fmt::format("breaker: {} {}", field, why));
  };
  if (c.failure_threshold < 1) return bad("failure_threshold", "must be >= 1");
  if (c.window_size < 1) return bad("window_size", "must be >= 1");
  if (c.window_duration < 1) return bad("window_duration", "must be > 0");
  if (c.window_buckets < 0) return bad("window_buckets", "must be >= 0");
  if (c.minimum_calls < 0) return bad("minimum_calls", "must be >= 0");
  if (!(c.failure_rate_threshold >= 0 && c.failure_rate_threshold <= 100))
    return bad("failure_rate_threshold", "must be a percent in [0, 100]");
  if (c.window_failure_threshold < 0) return bad("window_failure_threshold", "must be >= 0");
  if (!(c.slow_call_rate_threshold > 0 && c.slow_call_rate_threshold <= 100))
    return bad("slow_call_rate_threshold", "must be a percent in (0, 100]");
  if (c.slow_call_duration < 0) return bad("slow_call_duration", "must be >= 0");
  if (c.policy != BreakerPolicy::kConsecutive && c.failure_rate_threshold == 0 && c.window_failure_threshold == 0 &&
      c.slow_call_duration == 0)
    return bad("failure_rate_threshold", "or window_failure_threshold or slow_call_duration must be set for a window policy");
  if (c.closed_interval < 0) return bad("closed_interval", "must be >= 0");
  if (c.recovery_timeout < 0) return bad("recovery_timeout", "must be >= 0");
  if (c.half_open_max_calls < 1) return bad("half_open_max_calls", "must be >= 1");
  if (c.success_threshold < 1) return bad("success_threshold", "must be >= 1");
  if (c.half_open_failure_threshold < 1) return bad("half_open_failure_threshold", "must be >= 1");
  if (c.half_open_max_wait < 0) return bad("half_open_max_wait", "must be >= 0");
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
  if (config_.policy == BreakerPolicy::kRate) ring_.assign(static_cast<std::size_t>(std::max(1, config_.window_size)), 0);
  if (config_.policy == BreakerPolicy::kTime && config_.window_buckets > 0)
    buckets_.assign(static_cast<std::size_t>(config_.window_buckets), Bucket{-1, {}});
}

void CircuitBreaker::transition(Nanos now, BreakerStateKind to, std::vector<BreakerTransition>& out) {
  BreakerTransition t{state_, to, now};
  state_ = to;
  state_since_ = now;
  ++generation_;
  consecutive_failures_ = 0;
  std::fill(ring_.begin(), ring_.end(), 0);
  ring_next_ = 0;
  ring_counts_ = {};
  timed_.clear();
  timed_counts_ = {};
  for (auto& b : buckets_) b = Bucket{-1, {}};
  half_open_used_ = 0;
  half_open_successes_ = 0;
  half_open_failures_ = 0;
  half_open_counts_ = {};
  if (to == BreakerStateKind::kOpen) opened_at_ = now;
  if (to == BreakerStateKind::kClosed) closed_expiry_ = config_.closed_interval > 0 ? now + config_.closed_interval : -1;
  out.push_back(t);
  BreakerRecord record;
  record.kind = BreakerRecord::Kind::kTransition;
  record.time = now;
  record.transition = t;
  emit(record);
}

void CircuitBreaker::advance_into(Nanos now, std::vector<BreakerTransition>& out) {
  for (;;) {
    if (state_ == BreakerStateKind::kOpen && config_.half_open_entry == HalfOpenEntry::kTimer && now >= reopen_time()) {
      transition(reopen_time(), BreakerStateKind::kHalfOpen, out);
    } else if (state_ == BreakerStateKind::kHalfOpen && config_.half_open_max_wait > 0 &&
               now >= state_since_ + config_.half_open_max_wait) {
      transition(state_since_ + config_.half_open_max_wait, BreakerStateKind::kOpen, out);
    } else {
      return;
    }
  }
}

std::vector<BreakerTransition> CircuitBreaker::advance(Nanos now) {
  std::vector<BreakerTransition> out;
  advance_into(now, out);
  return out;
}

// What a call or result does on arrival before it is judged: the timer's
// transitions, gobreaker's lazy clearing of closed counts, and the lazy
// open -> half_open of on_access (any call or result) and on_call (calls).
void CircuitBreaker::touch(Nanos now, bool is_call, std::vector<BreakerTransition>& out) {
  advance_into(now, out);
  if (state_ == BreakerStateKind::kClosed && config_.closed_interval > 0) {
    if (closed_expiry_ < 0) closed_expiry_ = state_since_ + config_.closed_interval;
    if (now > closed_expiry_) {
      ++generation_;
      consecutive_failures_ = 0;
      closed_expiry_ = now + config_.closed_interval;
    }
  }
  const bool lazy = config_.half_open_entry == HalfOpenEntry::kOnAccess ||
                    (is_call && config_.half_open_entry == HalfOpenEntry::kOnCall);
  if (state_ == BreakerStateKind::kOpen && lazy && now >= reopen_time())
    transition(now, BreakerStateKind::kHalfOpen, out);
}

CircuitBreaker::Decision CircuitBreaker::allow(Nanos now, std::int64_t call) {
  Decision d;
  d.call = call < 0 ? next_call_ : call;
  next_call_ = std::max(next_call_, d.call + 1);
  touch(now, true, d.transitions);
  switch (state_) {
    case BreakerStateKind::kClosed:
      d.permitted = true;
      break;
    case BreakerStateKind::kOpen:
      break;
    case BreakerStateKind::kHalfOpen:
      d.permitted = config_.half_open_limit == HalfOpenLimit::kUnlimited || half_open_used_ < config_.half_open_max_calls;
      if (d.permitted) ++half_open_used_;
      break;
  }
  if (d.permitted) in_flight_[d.call] = Admitted{generation_, now};
  BreakerRecord record;
  record.kind = BreakerRecord::Kind::kCall;
  record.time = now;
  record.call = d.call;
  record.permitted = d.permitted;
  emit(record);
  return d;
}

void CircuitBreaker::window_add(Nanos now, bool failure, bool slow) {
  const std::uint8_t flags = static_cast<std::uint8_t>((failure ? 1 : 0) | (slow ? 2 : 0));
  auto add = [](Counts& c, std::uint8_t f, int sign) {
    c.calls += sign;
    c.failures += sign * (f & 1);
    c.slow += sign * ((f >> 1) & 1);
  };
  if (config_.policy == BreakerPolicy::kRate) {
    const std::size_t size = ring_.size();
    if (ring_counts_.calls == static_cast<int>(size)) add(ring_counts_, ring_[ring_next_], -1);
    ring_[ring_next_] = flags;
    add(ring_counts_, flags, 1);
    ring_next_ = (ring_next_ + 1) % size;
  } else if (buckets_.empty()) {
    timed_.emplace_back(now, flags);
    add(timed_counts_, flags, 1);
  } else {
    const Nanos length = std::max<Nanos>(1, config_.window_duration / config_.window_buckets);
    const std::int64_t id = (now - state_since_) / length;
    Bucket& b = buckets_[static_cast<std::size_t>(id % config_.window_buckets)];
    if (b.id != id) b = Bucket{id, {}};
    add(b.counts, flags, 1);
  }
}

CircuitBreaker::Counts CircuitBreaker::window_counts(Nanos now) {
  if (config_.policy == BreakerPolicy::kRate) return ring_counts_;
  if (buckets_.empty()) {
    while (!timed_.empty() && timed_.front().first <= now - config_.window_duration) {
      const auto f = timed_.front().second;
      timed_counts_.calls -= 1;
      timed_counts_.failures -= f & 1;
      timed_counts_.slow -= (f >> 1) & 1;
      timed_.pop_front();
    }
    return timed_counts_;
  }
  const Nanos length = std::max<Nanos>(1, config_.window_duration / config_.window_buckets);
  const std::int64_t current = (now - state_since_) / length;
  Counts c;
  for (const auto& b : buckets_) {
    if (b.id < 0 || b.id <= current - config_.window_buckets) continue;
    c.calls += b.counts.calls;
    c.failures += b.counts.failures;
    c.slow += b.counts.slow;
  }
  return c;
}

bool CircuitBreaker::window_trips(const Counts& c, int minimum) const {
  if (c.calls == 0 || c.calls < minimum) return false;
  if (config_.failure_rate_threshold > 0 && 100.0 * c.failures / c.calls >= config_.failure_rate_threshold) return true;
  if (config_.slow_call_duration > 0 && 100.0 * c.slow / c.calls >= config_.slow_call_rate_threshold) return true;
  return config_.window_failure_threshold > 0 && c.failures >= config_.window_failure_threshold;
}

CircuitBreaker::Outcome CircuitBreaker::record(Nanos now, std::int64_t call, bool success) {
  Outcome o;
  BreakerRecord record;
  record.kind = BreakerRecord::Kind::kResult;
  record.time = now;
  record.call = call;
  record.success = success;
  emit(record);
  touch(now, false, o.transitions);
  auto it = in_flight_.find(call);
  if (it == in_flight_.end()) return o;
  o.known = true;
  const Admitted admitted = it->second;
  in_flight_.erase(it);
  const bool current = admitted.generation == generation_;
  if (!current && config_.stale_results == StaleResults::kIgnore) return o;
  o.counted = true;
  const bool slow = config_.slow_call_duration > 0 && now - admitted.time > config_.slow_call_duration;
  switch (state_) {
    case BreakerStateKind::kClosed:
      if (config_.policy == BreakerPolicy::kConsecutive) {
        if (success) {
          consecutive_failures_ = 0;
        } else if (++consecutive_failures_ >= config_.failure_threshold) {
          transition(now, BreakerStateKind::kOpen, o.transitions);
        }
      } else {
        window_add(now, !success, slow);
        const int minimum = config_.policy == BreakerPolicy::kRate ? std::min(config_.minimum_calls, config_.window_size)
                                                                   : config_.minimum_calls;
        if (window_trips(window_counts(now), minimum)) transition(now, BreakerStateKind::kOpen, o.transitions);
      }
      break;
    case BreakerStateKind::kHalfOpen:
      if (config_.half_open_limit == HalfOpenLimit::kInFlight) --half_open_used_;
      if (config_.half_open_verdict == HalfOpenVerdict::kCount) {
        if (success ? ++half_open_successes_ >= config_.success_threshold : false) {
          transition(now, BreakerStateKind::kClosed, o.transitions);
        } else if (!success && ++half_open_failures_ >= config_.half_open_failure_threshold) {
          transition(now, BreakerStateKind::kOpen, o.transitions);
        }
      } else {
        half_open_counts_.calls += 1;
        half_open_counts_.failures += success ? 0 : 1;
        half_open_counts_.slow += slow ? 1 : 0;
        if (half_open_counts_.calls >= config_.half_open_max_calls)
          transition(now, window_trips(half_open_counts_, 0) ? BreakerStateKind::kOpen : BreakerStateKind::kClosed,
                     o.transitions);
      }
      break;
    case BreakerStateKind::kOpen:
      if (config_.results_in_open == OpenResults::kCount) {
        if (success) transition(now, BreakerStateKind::kClosed, o.transitions);
        else opened_at_ = now;  // the timeout starts again, no transition
      }
      break;
  }
  return o;
}

}  // namespace faultline::reference
