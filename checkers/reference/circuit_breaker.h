// CircuitBreaker: the reference circuit breaker, a pure state machine whose
// every semantic knob can be set to what a real library does
// (breaker_profiles.h names those settings per library).
//
// Contract. Time is an argument (ns on any monotonic timeline); no clocks,
// threads, sleeps or I/O. The breaker is a value type: copying it snapshots
// its whole state.
//  - Closed: every call is permitted. How results trip it is the `policy`:
//      consecutive  `failure_threshold` failures in a row open it (a success
//                   resets the count);
//      rate         a count-based sliding window of the last `window_size`
//                   results;
//      time         a time-based sliding window of `window_duration` (exact
//                   when `window_buckets` is 0, else that many equal buckets
//                   aligned to the start of the closed state).
//    A window trips once it holds at least `minimum_calls` results (rate:
//    min(minimum_calls, window_size)) and the failure rate is >=
//    `failure_rate_threshold` percent (0 = not used), or the slow-call rate
//    (result later than the call by more than `slow_call_duration`, 0 = off)
//    is >= `slow_call_rate_threshold`, or the failures in it are >=
//    `window_failure_threshold` (0 = not used). `closed_interval` > 0 clears
//    the closed counts (a new generation) at the first call or result after
//    it has elapsed since the last clearing (gobreaker's Interval).
//  - Open: rejects every call until the recovery timeout has elapsed since
//    opening: now >= opened_at + recovery_timeout (`recovery_inclusive`) or
//    now > it. Then it turns half_open (`half_open_entry`): at the call that
//    finds the timeout elapsed (on_call), at the first call or result that
//    does (on_access), or by itself at that instant (timer).
//    `results_in_open` count: a success of an older call closes the breaker,
//    a failure restarts the timeout (python circuitbreaker).
//  - Half_open admits calls by `half_open_limit`: in_flight (fewer than
//    `half_open_max_calls` admitted and not yet resulted), per_state (fewer
//    than `half_open_max_calls` admitted since entering half_open) or
//    unlimited. Its verdict (`half_open_verdict`): count closes it at
//    `success_threshold` successes and reopens it at
//    `half_open_failure_threshold` failures; rate waits for
//    `half_open_max_calls` results and reopens if the window of them trips
//    (failure or slow-call rate), else closes. `half_open_max_wait` > 0
//    reopens it by itself that long after it entered half_open.
// Every transition starts a new generation and resets the counts. The result
// of a call admitted in an older generation changes nothing when
// `stale_results` is ignore (gobreaker), and is counted in the current state
// when it is count (resilience4j, Polly, failsafe-go). A result for a call id
// that is not in flight is ignored and reported as such.
// Events: the listener (if set) receives the breaker events in the order they
// happen: call (with permitted), result, transition. A transition the breaker
// makes on its own (timer) is emitted by advance(), stamped with the instant
// it happened; allow() and record() advance first.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/result.h"
#include "common/units.h"

namespace faultline::reference {

enum class BreakerPolicy { kConsecutive, kRate, kTime };
enum class BreakerStateKind { kClosed, kOpen, kHalfOpen };
enum class HalfOpenEntry { kOnCall, kOnAccess, kTimer };
enum class HalfOpenLimit { kInFlight, kPerState, kUnlimited };
enum class HalfOpenVerdict { kCount, kRate };
enum class StaleResults { kIgnore, kCount };
enum class OpenResults { kIgnore, kCount };

const char* to_string(BreakerPolicy policy);      // consecutive, rate, time
const char* to_string(BreakerStateKind state);    // closed, open, half_open
const char* to_string(HalfOpenEntry entry);       // on_call, on_access, timer
const char* to_string(HalfOpenLimit limit);       // in_flight, per_state, unlimited
const char* to_string(HalfOpenVerdict verdict);   // count, rate
const char* to_string(StaleResults stale);        // ignore, count
const char* to_string(OpenResults open);          // ignore, count

struct BreakerConfig {
  BreakerPolicy policy = BreakerPolicy::kConsecutive;
  int failure_threshold = 5;               // consecutive
  int window_size = 100;                   // rate: results in the window
  Nanos window_duration = 60'000'000'000;  // time: window length
  int window_buckets = 0;                  // time: 0 = exact sliding
  int minimum_calls = 100;                 // rate/time: results before evaluating
  double failure_rate_threshold = 50.0;    // rate/time: percent, 0 = not used
  int window_failure_threshold = 0;        // rate/time: failures in the window, 0 = not used
  double slow_call_rate_threshold = 100.0; // percent
  Nanos slow_call_duration = 0;            // 0 = no slow calls
  Nanos closed_interval = 0;               // 0 = closed counts never cleared
  Nanos recovery_timeout = 1'000'000'000;  // open -> half_open after this
  bool recovery_inclusive = true;          // now >= boundary admits (else now >)
  HalfOpenEntry half_open_entry = HalfOpenEntry::kOnCall;
  OpenResults results_in_open = OpenResults::kIgnore;
  HalfOpenLimit half_open_limit = HalfOpenLimit::kInFlight;
  int half_open_max_calls = 1;
  HalfOpenVerdict half_open_verdict = HalfOpenVerdict::kCount;
  int success_threshold = 1;               // count verdict: successes to close
  int half_open_failure_threshold = 1;     // count verdict: failures to reopen
  Nanos half_open_max_wait = 0;            // 0 = half_open waits forever
  StaleResults stale_results = StaleResults::kIgnore;
};
// kInvalidInput naming the field if a value is out of range.
Result<void> validate(const BreakerConfig& config);

struct BreakerTransition {
  BreakerStateKind from = BreakerStateKind::kClosed;
  BreakerStateKind to = BreakerStateKind::kClosed;
  Nanos time = 0;  // when it happened
};

// One emitted event, docs/events.md's `breaker` line without node/name.
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
    std::vector<BreakerTransition> transitions;  // made before the decision
  };
  // Asks to make a call at `now`. `call` < 0 assigns the next id.
  Decision allow(Nanos now, std::int64_t call = -1);

  struct Outcome {
    bool known = false;    // the call was admitted and not yet resulted
    bool counted = false;  // known and counted (current generation, or stale ones count)
    std::vector<BreakerTransition> transitions;  // made before and at this result
  };
  // Records the result of a permitted call at `now`.
  Outcome record(Nanos now, std::int64_t call, bool success);

  // Makes the transitions the breaker makes on its own (timer entry,
  // half_open_max_wait) up to `now`, in order, each at its own instant.
  std::vector<BreakerTransition> advance(Nanos now);

  BreakerStateKind state() const { return state_; }
  std::uint64_t generation() const { return generation_; }
  Nanos opened_at() const { return opened_at_; }
  // The first instant an open breaker admits a call (or turns half_open).
  Nanos reopen_time() const { return opened_at_ + config_.recovery_timeout + (config_.recovery_inclusive ? 0 : 1); }
  int trials_in_flight() const { return half_open_used_; }
  const BreakerConfig& config() const { return config_; }

  using Listener = std::function<void(const BreakerRecord&)>;
  void set_listener(Listener listener) { listener_ = std::move(listener); }

 private:
  struct Admitted {
    std::uint64_t generation = 0;
    Nanos time = 0;
  };
  struct Counts {
    int calls = 0, failures = 0, slow = 0;
  };
  struct Bucket {
    std::int64_t id = 0;
    Counts counts;
  };

  void transition(Nanos now, BreakerStateKind to, std::vector<BreakerTransition>& out);
  void touch(Nanos now, bool is_call, std::vector<BreakerTransition>& out);
  void advance_into(Nanos now, std::vector<BreakerTransition>& out);
  void window_add(Nanos now, bool failure, bool slow);
  Counts window_counts(Nanos now);
  bool window_trips(const Counts& c, int minimum) const;
  void emit(const BreakerRecord& record) {
    if (listener_) listener_(record);
  }

  BreakerConfig config_;
  BreakerStateKind state_ = BreakerStateKind::kClosed;
  std::uint64_t generation_ = 0;
  Nanos state_since_ = 0;
  Nanos opened_at_ = 0;
  Nanos closed_expiry_ = -1;  // closed_interval: when the counts are cleared next (-1: not set yet)
  std::int64_t next_call_ = 1;
  int consecutive_failures_ = 0;
  // rate: ring of the last window_size outcomes (bit 0 failure, bit 1 slow)
  std::vector<std::uint8_t> ring_;
  std::size_t ring_next_ = 0;
  Counts ring_counts_;
  // time: exact (time, flags) entries, or buckets
  std::deque<std::pair<Nanos, std::uint8_t>> timed_;
  Counts timed_counts_;
  std::vector<Bucket> buckets_;
  // half_open
  int half_open_used_ = 0;
  int half_open_successes_ = 0;
  int half_open_failures_ = 0;
  Counts half_open_counts_;
  // admitted calls awaiting their result
  std::unordered_map<std::int64_t, Admitted> in_flight_;
  Listener listener_;
};

}  // namespace faultline::reference
