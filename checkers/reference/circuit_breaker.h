// CircuitBreaker: the reference circuit breaker, a pure state machine.
//
// Contract (foundation issue, item 4). Time is an argument (ns on any
// monotonic timeline); no clocks, threads, sleeps or I/O. Two policies:
//  - consecutive: in closed every call is permitted; a failure that makes
//    `failure_threshold` consecutive failures opens the breaker at that
//    instant; a success resets the count.
//  - rate (resilience4j, count-based window): the failure rate over the last
//    `window_size` results, evaluated once at least min(minimum_calls,
//    window_size) results are in the window, opens the breaker when it is at
//    or above `failure_rate_threshold` percent.
// Both: in open a call is rejected unless `recovery_timeout` has elapsed since
// opening (now >= opened_at + recovery_timeout), in which case the breaker
// turns half_open at that call and admits it as a trial. In half_open a call
// is admitted while fewer than `half_open_max_calls` trials are in flight
// (admitted, result not yet recorded), else rejected; `success_threshold`
// trial successes close it; any trial failure reopens it at that instant.
// Every transition starts a new generation and resets the counts; the result
// of a call admitted in an older generation changes nothing (gobreaker). A
// result for a call id that is not in flight is ignored and reported as such.
// Events: the listener (if set) receives DESIGN.md's breaker events in the
// order they happen: call (with permitted), result, transition; the
// open->half_open transition comes just before the call it admits, a
// tripping transition just after the result that caused it.
// The breaker is a value type: copying it snapshots its whole state.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/result.h"
#include "common/units.h"

namespace faultline::reference {

enum class BreakerPolicy { kConsecutive, kRate };
enum class BreakerStateKind { kClosed, kOpen, kHalfOpen };
const char* to_string(BreakerPolicy policy);
const char* to_string(BreakerStateKind state);  // closed, open, half_open

struct BreakerConfig {
  BreakerPolicy policy = BreakerPolicy::kConsecutive;
  int failure_threshold = 5;              // consecutive
  int window_size = 100;                  // rate: results in the sliding window
  int minimum_calls = 100;                // rate: results needed before evaluating
  double failure_rate_threshold = 50.0;   // rate: percent, (0, 100]
  Nanos recovery_timeout = 1'000'000'000; // open -> half_open after this
  int half_open_max_calls = 1;            // trials in flight at once
  int success_threshold = 1;              // trial successes to close
};
// kInvalidInput naming the field if a value is out of range.
Result<void> validate(const BreakerConfig& config);

struct BreakerTransition {
  BreakerStateKind from = BreakerStateKind::kClosed;
  BreakerStateKind to = BreakerStateKind::kClosed;
};

// One emitted event, DESIGN.md's `breaker` line without node/name.
struct BreakerRecord {
  enum class Kind { kCall, kResult, kTransition };
  Kind kind = Kind::kCall;
  Nanos time = 0;
  std::int64_t call = 0;   // call, result
  bool permitted = false;  // call
  bool success = false;    // result
  BreakerTransition transition;  // transition
};
// The record as one JSONL line (no newline) with the given node and name.
std::string to_jsonl(const BreakerRecord& record, const std::string& node, const std::string& name);

class CircuitBreaker {
 public:
  explicit CircuitBreaker(BreakerConfig config = {});

  struct Decision {
    std::int64_t call = 0;  // the call id (assigned if not given)
    bool permitted = false;
    std::optional<BreakerTransition> transition;  // made just before the call
  };
  // Asks to make a call at `now`. `call` < 0 assigns the next id.
  Decision allow(Nanos now, std::int64_t call = -1);

  struct Outcome {
    bool known = false;    // the call was admitted and not yet resulted
    bool counted = false;  // known and of the current generation
    std::optional<BreakerTransition> transition;  // made at this result
  };
  // Records the result of a permitted call at `now`.
  Outcome record(Nanos now, std::int64_t call, bool success);

  BreakerStateKind state() const { return state_; }
  std::uint64_t generation() const { return generation_; }
  Nanos opened_at() const { return opened_at_; }
  // When an open breaker admits its next call (opened_at + recovery_timeout).
  Nanos reopen_time() const { return opened_at_ + config_.recovery_timeout; }
  int trials_in_flight() const { return trials_in_flight_; }
  const BreakerConfig& config() const { return config_; }

  using Listener = std::function<void(const BreakerRecord&)>;
  void set_listener(Listener listener) { listener_ = std::move(listener); }

 private:
  void transition(Nanos now, BreakerStateKind to, std::optional<BreakerTransition>& out);
  bool should_trip_closed(bool success);
  void emit(const BreakerRecord& record) {
    if (listener_) listener_(record);
  }

  BreakerConfig config_;
  BreakerStateKind state_ = BreakerStateKind::kClosed;
  std::uint64_t generation_ = 0;
  Nanos opened_at_ = 0;
  std::int64_t next_call_ = 1;
  int consecutive_failures_ = 0;
  // rate policy: ring of the last window_size outcomes (true = failure)
  std::vector<bool> window_;
  std::size_t window_next_ = 0;
  int window_count_ = 0;
  int window_failures_ = 0;
  // half_open
  int trials_in_flight_ = 0;
  int trial_successes_ = 0;
  // admitted calls awaiting their result: call id -> generation
  std::unordered_map<std::int64_t, std::uint64_t> in_flight_;
  Listener listener_;
};

}  // namespace faultline::reference
