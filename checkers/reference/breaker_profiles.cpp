#include "checkers/reference/breaker_profiles.h"

#include "checkers/reference/profile_lookup.h"
#include "common/units.h"

namespace faultline::reference {
namespace {

using P = BreakerPolicy;
using E = HalfOpenEntry;
using L = HalfOpenLimit;
using V = HalfOpenVerdict;
using St = StaleResults;
using O = OpenResults;

// Each profile lists every knob, in BreakerConfig order; the comments name the
// library's setting. Unused knobs carry the library's value where it has one.
std::vector<BreakerProfile> make_breaker_profiles() {
  std::vector<BreakerProfile> out;
  // sony/gobreaker v2 (gobreaker.go): ReadyToTrip default ConsecutiveFailures > 5,
  // Interval 0 (closed counts never cleared), Timeout 60s with expiry.Before(now),
  // currentState() on every request and result, MaxRequests 0 -> 1 (admitted per
  // half-open state; that many consecutive successes close), any half-open
  // failure opens, results of an older generation ignored.
  out.push_back({"gobreaker", "sony/gobreaker v2.4.0", true,
                 BreakerConfig{.policy = P::kConsecutive, .failure_threshold = 6, .window_size = 1,
                               .window_duration = 60 * kSecond, .window_buckets = 0, .minimum_calls = 0,
                               .failure_rate_threshold = 0, .window_failure_threshold = 0,
                               .slow_call_rate_threshold = 100, .slow_call_duration = 0, .closed_interval = 0,
                               .recovery_timeout = 60 * kSecond, .recovery_inclusive = false,
                               .half_open_entry = E::kOnAccess, .results_in_open = O::kIgnore,
                               .half_open_limit = L::kPerState, .half_open_max_calls = 1,
                               .half_open_verdict = V::kCount, .success_threshold = 1,
                               .half_open_failure_threshold = 1, .half_open_max_wait = 0,
                               .stale_results = St::kIgnore},
                 {{"timeout", "recovery_timeout"}, {"interval", "closed_interval"}}});
  // resilience4j CircuitBreakerConfig defaults: COUNT_BASED window of 100,
  // minimumNumberOfCalls 100, failureRateThreshold 50, slowCallRateThreshold 100,
  // slowCallDurationThreshold 60s, waitDurationInOpenState 60s (isAfter),
  // permittedNumberOfCallsInHalfOpenState 10 (a per-state permit count, judged by
  // rate once all 10 results are in), automaticTransitionFromOpenToHalfOpenEnabled
  // false, maxWaitDurationInHalfOpenState 0; results count in the current state.
  out.push_back({"resilience4j", "resilience4j-circuitbreaker 2.2.0", false,
                 BreakerConfig{.policy = P::kRate, .failure_threshold = 1, .window_size = 100,
                               .window_duration = 100 * kSecond, .window_buckets = 100, .minimum_calls = 100,
                               .failure_rate_threshold = 50, .window_failure_threshold = 0,
                               .slow_call_rate_threshold = 100, .slow_call_duration = 60 * kSecond,
                               .closed_interval = 0, .recovery_timeout = 60 * kSecond, .recovery_inclusive = false,
                               .half_open_entry = E::kOnCall, .results_in_open = O::kIgnore,
                               .half_open_limit = L::kPerState, .half_open_max_calls = 10,
                               .half_open_verdict = V::kRate, .success_threshold = 10,
                               .half_open_failure_threshold = 10, .half_open_max_wait = 0,
                               .stale_results = St::kCount},
                 {{"sliding_window_size", "window_size"}, {"minimum_number_of_calls", "minimum_calls"}, {"slow_call_duration_threshold", "slow_call_duration"}, {"wait_duration_in_open_state", "recovery_timeout"}, {"permitted_number_of_calls_in_half_open_state", "half_open_max_calls"}, {"max_wait_duration_in_half_open_state", "half_open_max_wait"}}});
  // Polly v8 CircuitBreakerStrategyOptions: FailureRatio 0.1, SamplingDuration 30s
  // (rolling, 10 windows), MinimumThroughput 100, BreakDuration 5s; half-open only
  // when a call comes (now >= blockedUntil) and only that call is admitted; a
  // success closes, a failure reopens, whichever call it belongs to.
  out.push_back({"polly", "Polly.Core 8.4", false,
                 BreakerConfig{.policy = P::kTime, .failure_threshold = 1, .window_size = 100,
                               .window_duration = 30 * kSecond, .window_buckets = 10, .minimum_calls = 100,
                               .failure_rate_threshold = 10, .window_failure_threshold = 0,
                               .slow_call_rate_threshold = 100, .slow_call_duration = 0, .closed_interval = 0,
                               .recovery_timeout = 5 * kSecond, .recovery_inclusive = true,
                               .half_open_entry = E::kOnCall, .results_in_open = O::kIgnore,
                               .half_open_limit = L::kPerState, .half_open_max_calls = 1,
                               .half_open_verdict = V::kCount, .success_threshold = 1,
                               .half_open_failure_threshold = 1, .half_open_max_wait = 0,
                               .stale_results = St::kCount},
                 {{"break_duration", "recovery_timeout"}, {"sampling_duration", "window_duration"}, {"minimum_throughput", "minimum_calls"}}});
  // failsafe-go circuitbreaker (NewWithDefaults): failure threshold 1 of 1
  // execution (a count window), Delay 1 minute (elapsed >= delay, at
  // TryAcquirePermit), half-open permits = thresholding capacity (released by
  // each result), closes when successes > capacity - threshold, opens at
  // `threshold` failures; results count in the current state.
  out.push_back({"failsafe-go", "failsafe-go v0.9.8", true,
                 BreakerConfig{.policy = P::kRate, .failure_threshold = 1, .window_size = 1,
                               .window_duration = 60 * kSecond, .window_buckets = 10, .minimum_calls = 0,
                               .failure_rate_threshold = 0, .window_failure_threshold = 1,
                               .slow_call_rate_threshold = 100, .slow_call_duration = 0, .closed_interval = 0,
                               .recovery_timeout = 60 * kSecond, .recovery_inclusive = true,
                               .half_open_entry = E::kOnCall, .results_in_open = O::kIgnore,
                               .half_open_limit = L::kInFlight, .half_open_max_calls = 1,
                               .half_open_verdict = V::kCount, .success_threshold = 1,
                               .half_open_failure_threshold = 1, .half_open_max_wait = 0,
                               .stale_results = St::kCount},
                 {{"delay", "recovery_timeout"}}});
  // Netflix Hystrix 1.5 HystrixCommandProperties: metrics.rollingStats 10s in 10
  // buckets, circuitBreaker.requestVolumeThreshold 20, errorThresholdPercentage
  // 50, sleepWindowInMilliseconds 5000 (currentTime > openedAt + sleepWindow), a
  // single trial (CAS OPEN -> HALF_OPEN) whose result closes or reopens.
  out.push_back({"hystrix", "Netflix Hystrix 1.5.18", false,
                 BreakerConfig{.policy = P::kTime, .failure_threshold = 1, .window_size = 20,
                               .window_duration = 10 * kSecond, .window_buckets = 10, .minimum_calls = 20,
                               .failure_rate_threshold = 50, .window_failure_threshold = 0,
                               .slow_call_rate_threshold = 100, .slow_call_duration = 0, .closed_interval = 0,
                               .recovery_timeout = 5 * kSecond, .recovery_inclusive = false,
                               .half_open_entry = E::kOnCall, .results_in_open = O::kIgnore,
                               .half_open_limit = L::kPerState, .half_open_max_calls = 1,
                               .half_open_verdict = V::kCount, .success_threshold = 1,
                               .half_open_failure_threshold = 1, .half_open_max_wait = 0,
                               .stale_results = St::kCount},
                 {{"sleep_window", "recovery_timeout"}, {"request_volume_threshold", "minimum_calls"}, {"error_threshold_percentage", "failure_rate_threshold"}, {"rolling_window", "window_duration"}}});
  // Python circuitbreaker 1.4 (fabfuel): FAILURE_THRESHOLD 5 (counted until a
  // success), RECOVERY_TIMEOUT 30s (remaining <= 0 is half-open), every call
  // admitted in half-open; any success closes and any failure past the threshold
  // reopens, in whatever state, for whichever call.
  out.push_back({"python-circuitbreaker", "circuitbreaker 1.4.0 (Python)", true,
                 BreakerConfig{.policy = P::kConsecutive, .failure_threshold = 5, .window_size = 1,
                               .window_duration = 60 * kSecond, .window_buckets = 0, .minimum_calls = 0,
                               .failure_rate_threshold = 0, .window_failure_threshold = 0,
                               .slow_call_rate_threshold = 100, .slow_call_duration = 0, .closed_interval = 0,
                               .recovery_timeout = 30 * kSecond, .recovery_inclusive = true,
                               .half_open_entry = E::kOnAccess, .results_in_open = O::kCount,
                               .half_open_limit = L::kUnlimited, .half_open_max_calls = 1,
                               .half_open_verdict = V::kCount, .success_threshold = 1,
                               .half_open_failure_threshold = 1, .half_open_max_wait = 0,
                               .stale_results = St::kCount},
                 {}});
  // faultline's own reference breaker (checkers/reference), the one the demo node
  // uses: the defaults of BreakerConfig.
  out.push_back({"faultline", "faultline checkers/reference", true,
                 BreakerConfig{.policy = P::kConsecutive, .failure_threshold = 5, .window_size = 100,
                               .window_duration = 60 * kSecond, .window_buckets = 0, .minimum_calls = 100,
                               .failure_rate_threshold = 50, .window_failure_threshold = 0,
                               .slow_call_rate_threshold = 100, .slow_call_duration = 0, .closed_interval = 0,
                               .recovery_timeout = 1 * kSecond, .recovery_inclusive = true,
                               .half_open_entry = E::kOnCall, .results_in_open = O::kIgnore,
                               .half_open_limit = L::kInFlight, .half_open_max_calls = 1,
                               .half_open_verdict = V::kCount, .success_threshold = 1,
                               .half_open_failure_threshold = 1, .half_open_max_wait = 0,
                               .stale_results = St::kIgnore},
                 {}});
  return out;
}

}  // namespace

const std::vector<BreakerProfile>& breaker_profiles() {
  static const std::vector<BreakerProfile> profiles = make_breaker_profiles();
  return profiles;
}

Result<BreakerProfile> breaker_profile(const std::string& name) { return find_profile(breaker_profiles(), name, "breaker"); }

}  // namespace faultline::reference
