// The reference circuit breaker, every rule pinned with explicit times.
#include "checkers/reference/circuit_breaker.h"
#include "checkers/reference/breaker_profiles.h"
#include "checkers/reference/retry_profiles.h"

#include <gtest/gtest.h>

namespace faultline::reference {
namespace {

using S = BreakerStateKind;

BreakerConfig consecutive(int threshold, Nanos timeout, int half_open_max = 1, int successes = 1) {
  BreakerConfig c;
  c.policy = BreakerPolicy::kConsecutive;
  c.failure_threshold = threshold;
  c.recovery_timeout = timeout;
  c.half_open_max_calls = half_open_max;
  c.success_threshold = successes;
  return c;
}

// Makes a call at t and records its failure at t.
void fail_at(CircuitBreaker& b, Nanos t) {
  auto d = b.allow(t);
  ASSERT_TRUE(d.permitted);
  b.record(t, d.call, false);
}

TEST(CircuitBreaker, ConsecutiveFailuresOpenAtThatInstant) {
  CircuitBreaker b(consecutive(3, 1 * kSecond));
  fail_at(b, 10 * kMillisecond);
  fail_at(b, 20 * kMillisecond);
  EXPECT_EQ(b.state(), S::kClosed);
  auto d = b.allow(30 * kMillisecond);
  auto o = b.record(30 * kMillisecond, d.call, false);
  ASSERT_TRUE(!o.transitions.empty());
  EXPECT_EQ(o.transitions.back().from, S::kClosed);
  EXPECT_EQ(o.transitions.back().to, S::kOpen);
  EXPECT_EQ(b.state(), S::kOpen);
  EXPECT_EQ(b.opened_at(), 30 * kMillisecond);
}

TEST(CircuitBreaker, SuccessResetsTheConsecutiveCount) {
  CircuitBreaker b(consecutive(3, 1 * kSecond));
  fail_at(b, 1);
  fail_at(b, 2);
  auto d = b.allow(3);
  b.record(3, d.call, true);
  fail_at(b, 4);
  fail_at(b, 5);
  EXPECT_EQ(b.state(), S::kClosed);
  fail_at(b, 6);
  EXPECT_EQ(b.state(), S::kOpen);
}

TEST(CircuitBreaker, TrippedBreakerRejectsUntilTimeoutThenAdmitsExactlyHalfOpenMaxCalls) {
  CircuitBreaker b(consecutive(1, 1 * kSecond, /*half_open_max=*/2, /*successes=*/3));
  fail_at(b, 100 * kMillisecond);  // opens at 0.1s; admits again from 1.1s
  for (Nanos t : {100 * kMillisecond, 500 * kMillisecond, 1100 * kMillisecond - 1}) {
    auto d = b.allow(t);
    EXPECT_FALSE(d.permitted) << "t=" << t;
    EXPECT_FALSE(!d.transitions.empty());
    EXPECT_EQ(b.state(), S::kOpen);
  }
  auto first = b.allow(1100 * kMillisecond);
  EXPECT_TRUE(first.permitted);
  ASSERT_TRUE(!first.transitions.empty());
  EXPECT_EQ(first.transitions.back().to, S::kHalfOpen);
  auto second = b.allow(1101 * kMillisecond);
  EXPECT_TRUE(second.permitted);
  EXPECT_FALSE(b.allow(1102 * kMillisecond).permitted);  // two trials in flight
  EXPECT_FALSE(b.allow(1103 * kMillisecond).permitted);
  EXPECT_EQ(b.trials_in_flight(), 2);
  // A trial success frees a slot: one more trial, not more.
  b.record(1110 * kMillisecond, first.call, true);
  EXPECT_EQ(b.state(), S::kHalfOpen);
  EXPECT_TRUE(b.allow(1111 * kMillisecond).permitted);
  EXPECT_FALSE(b.allow(1112 * kMillisecond).permitted);
}

TEST(CircuitBreaker, SuccessThresholdTrialSuccessesClose) {
  CircuitBreaker b(consecutive(1, 1 * kSecond, 1, 2));
  fail_at(b, 0);
  auto t1 = b.allow(1 * kSecond);
  ASSERT_TRUE(t1.permitted);
  EXPECT_FALSE(!b.record(1 * kSecond + 1, t1.call, true).transitions.empty());
  auto t2 = b.allow(1 * kSecond + 2);
  ASSERT_TRUE(t2.permitted);
  auto o = b.record(1 * kSecond + 3, t2.call, true);
  ASSERT_TRUE(!o.transitions.empty());
  EXPECT_EQ(o.transitions.back().from, S::kHalfOpen);
  EXPECT_EQ(o.transitions.back().to, S::kClosed);
  EXPECT_TRUE(b.allow(1 * kSecond + 4).permitted);
}

TEST(CircuitBreaker, TrialFailureReopensAtThatInstant) {
  CircuitBreaker b(consecutive(1, 1 * kSecond));
  fail_at(b, 0);
  auto trial = b.allow(1 * kSecond);
  ASSERT_TRUE(trial.permitted);
  auto o = b.record(1500 * kMillisecond, trial.call, false);
  ASSERT_TRUE(!o.transitions.empty());
  EXPECT_EQ(o.transitions.back().to, S::kOpen);
  EXPECT_EQ(b.opened_at(), 1500 * kMillisecond);
  EXPECT_FALSE(b.allow(2500 * kMillisecond - 1).permitted);
  EXPECT_TRUE(b.allow(2500 * kMillisecond).permitted);
}

TEST(CircuitBreaker, StaleResultFromBeforeATransitionChangesNothing) {
  CircuitBreaker b(consecutive(2, 1 * kSecond));
  auto a = b.allow(0), c1 = b.allow(0), c2 = b.allow(0);
  b.record(10, c1.call, false);
  b.record(20, c2.call, false);
  ASSERT_EQ(b.state(), S::kOpen);
  auto trial = b.allow(1 * kSecond + 20);
  ASSERT_EQ(b.state(), S::kHalfOpen);
  const auto generation = b.generation();
  // Call a was admitted in closed (an older generation): its failure would
  // reopen a half-open breaker if it counted.
  auto stale = b.record(1 * kSecond + 30, a.call, false);
  EXPECT_TRUE(stale.known);
  EXPECT_FALSE(stale.counted);
  EXPECT_FALSE(!stale.transitions.empty());
  EXPECT_EQ(b.state(), S::kHalfOpen);
  EXPECT_EQ(b.generation(), generation);
  EXPECT_EQ(b.trials_in_flight(), 1);
  auto o = b.record(1 * kSecond + 40, trial.call, true);
  ASSERT_TRUE(!o.transitions.empty());
  EXPECT_EQ(b.state(), S::kClosed);
}

TEST(CircuitBreaker, StaleSuccessInClosedDoesNotResetTheCount) {
  CircuitBreaker b(consecutive(2, 10 * kMillisecond, 2));
  fail_at(b, 0);
  fail_at(b, 1);  // open at 1
  auto t1 = b.allow(10 * kMillisecond + 1);
  auto t2 = b.allow(10 * kMillisecond + 2);
  b.record(10 * kMillisecond + 3, t1.call, true);  // closes (success_threshold 1); t2 is now stale
  ASSERT_EQ(b.state(), S::kClosed);
  fail_at(b, 20 * kMillisecond);
  EXPECT_FALSE(b.record(20 * kMillisecond + 1, t2.call, true).counted);
  fail_at(b, 20 * kMillisecond + 2);  // second consecutive failure: the stale success did not reset it
  EXPECT_EQ(b.state(), S::kOpen);
}

TEST(CircuitBreaker, ResultOfUnknownCallIsIgnored) {
  CircuitBreaker b(consecutive(1, 1 * kSecond));
  auto o = b.record(5, 42, false);
  EXPECT_FALSE(o.known);
  EXPECT_EQ(b.state(), S::kClosed);
  auto rejected = b.allow(6);
  b.record(6, rejected.call, false);  // opens
  auto r = b.allow(7);
  ASSERT_FALSE(r.permitted);
  EXPECT_FALSE(b.record(8, r.call, false).known);  // rejected calls have no result
}

// resilience4j count-based window: rate evaluated once min(minimum_calls,
// window_size) results are in; opens at or above the threshold.
TEST(CircuitBreaker, RatePolicyFollowsResilience4jCountBasedWindow) {
  BreakerConfig c;
  c.policy = BreakerPolicy::kRate;
  c.window_size = 4;
  c.minimum_calls = 4;
  c.failure_rate_threshold = 50;
  CircuitBreaker b(c);
  auto result = [&](Nanos t, bool ok) {
    auto d = b.allow(t);
    EXPECT_TRUE(d.permitted);
    return b.record(t, d.call, ok);
  };
  result(1, false);
  result(2, false);
  EXPECT_EQ(b.state(), S::kClosed);  // 100% but only 2 of the 4 minimum calls
  result(3, true);
  auto o = result(4, true);  // F F S S: 50% >= 50%
  EXPECT_TRUE(!o.transitions.empty());
  EXPECT_EQ(b.state(), S::kOpen);
}

TEST(CircuitBreaker, RatePolicySlidesAndStaysBelowThreshold) {
  BreakerConfig c;
  c.policy = BreakerPolicy::kRate;
  c.window_size = 4;
  c.minimum_calls = 4;
  c.failure_rate_threshold = 50;
  CircuitBreaker b(c);
  auto result = [&](Nanos t, bool ok) {
    auto d = b.allow(t);
    return b.record(t, d.call, ok);
  };
  result(1, false);
  for (Nanos t = 2; t <= 4; ++t) result(t, true);  // F S S S: 25%
  EXPECT_EQ(b.state(), S::kClosed);
  result(5, false);  // window S S S F: 25%
  EXPECT_EQ(b.state(), S::kClosed);
  result(6, false);  // S S F F: 50%
  EXPECT_EQ(b.state(), S::kOpen);
}

TEST(CircuitBreaker, RateMinimumCallsCappedByWindowSize) {
  BreakerConfig c;
  c.policy = BreakerPolicy::kRate;
  c.window_size = 2;
  c.minimum_calls = 10;
  c.failure_rate_threshold = 100;
  CircuitBreaker b(c);
  fail_at(b, 1);
  EXPECT_EQ(b.state(), S::kClosed);
  fail_at(b, 2);
  EXPECT_EQ(b.state(), S::kOpen);
}

TEST(CircuitBreaker, EmitsDesignEventsInOrder) {
  CircuitBreaker b(consecutive(1, 1 * kSecond));
  std::vector<std::string> lines;
  b.set_listener([&](const BreakerRecord& r) { lines.push_back(to_jsonl(r, "n1", "peer-n3")); });
  auto d = b.allow(100);
  b.record(200, d.call, false);
  b.allow(300);
  b.allow(1 * kSecond + 200);
  ASSERT_EQ(lines.size(), 6u);
  EXPECT_EQ(lines[0], R"({"time":100,"type":"breaker","node":"n1","name":"peer-n3","event":"call","call":1,"permitted":true})");
  EXPECT_EQ(lines[1], R"({"time":200,"type":"breaker","node":"n1","name":"peer-n3","event":"result","call":1,"outcome":"failure"})");
  EXPECT_EQ(lines[2], R"({"time":200,"type":"breaker","node":"n1","name":"peer-n3","event":"transition","from":"closed","to":"open"})");
  EXPECT_EQ(lines[3], R"({"time":300,"type":"breaker","node":"n1","name":"peer-n3","event":"call","call":2,"permitted":false})");
  // open -> half_open is logged just before the call it admits
  EXPECT_EQ(lines[4], R"({"time":1000000200,"type":"breaker","node":"n1","name":"peer-n3","event":"transition","from":"open","to":"half_open"})");
  EXPECT_EQ(lines[5], R"({"time":1000000200,"type":"breaker","node":"n1","name":"peer-n3","event":"call","call":3,"permitted":true})");
}

// The knobs a profile sets, each pinned against the other value.

TEST(CircuitBreakerKnobs, PerStateLimitCountsAdmissionsInFlightLimitCountsOpenTrials) {
  for (auto limit : {HalfOpenLimit::kPerState, HalfOpenLimit::kInFlight}) {
    BreakerConfig c = consecutive(1, 100, /*half_open_max=*/2, /*successes=*/3);
    c.half_open_limit = limit;
    CircuitBreaker b(c);
    fail_at(b, 0);
    auto t1 = b.allow(100);
    auto t2 = b.allow(100);
    ASSERT_TRUE(t1.permitted && t2.permitted);
    b.record(110, t1.call, true);  // one trial done, not yet closed
    // gobreaker/resilience4j: 2 admitted this half-open period, no more;
    // in-flight (failsafe-go): one slot free again.
    EXPECT_EQ(b.allow(120).permitted, limit == HalfOpenLimit::kInFlight) << to_string(limit);
  }
  BreakerConfig c = consecutive(1, 100);
  c.half_open_limit = HalfOpenLimit::kUnlimited;
  CircuitBreaker b(c);
  fail_at(b, 0);
  for (int i = 0; i < 10; ++i) EXPECT_TRUE(b.allow(100 + i).permitted);
}

TEST(CircuitBreakerKnobs, RecoveryBoundaryInclusiveOrExclusive) {
  BreakerConfig c = consecutive(1, 100);
  c.recovery_inclusive = false;  // gobreaker: expiry.Before(now)
  CircuitBreaker b(c);
  fail_at(b, 0);
  EXPECT_FALSE(b.allow(100).permitted);
  EXPECT_TRUE(b.allow(101).permitted);
  EXPECT_EQ(b.reopen_time(), 101);
}

TEST(CircuitBreakerKnobs, OnAccessTurnsHalfOpenAtAResultAndTheStaleResultIsIgnored) {
  BreakerConfig c = consecutive(1, 100);
  c.half_open_entry = HalfOpenEntry::kOnAccess;
  CircuitBreaker b(c);
  auto slow = b.allow(0);
  fail_at(b, 1);
  auto o = b.record(200, slow.call, false);  // past the timeout: gobreaker's currentState() turns half-open
  ASSERT_EQ(o.transitions.size(), 1u);
  EXPECT_EQ(o.transitions[0].to, S::kHalfOpen);
  EXPECT_FALSE(o.counted);  // admitted in closed: an older generation
  EXPECT_EQ(b.state(), S::kHalfOpen);
}

TEST(CircuitBreakerKnobs, TimerTurnsHalfOpenAtTheBoundaryAndMaxWaitReopens) {
  BreakerConfig c = consecutive(1, 100);
  c.half_open_entry = HalfOpenEntry::kTimer;
  c.half_open_max_wait = 50;
  CircuitBreaker b(c);
  fail_at(b, 0);
  auto t = b.advance(1000);  // half_open at 100, open at 150, half_open at 250, ...
  ASSERT_GE(t.size(), 3u);
  EXPECT_EQ(t[0].to, S::kHalfOpen);
  EXPECT_EQ(t[0].time, 100);
  EXPECT_EQ(t[1].to, S::kOpen);
  EXPECT_EQ(t[1].time, 150);
  EXPECT_EQ(t[2].time, 250);
}

TEST(CircuitBreakerKnobs, StaleResultsCountWhenTheLibraryCountsThem) {
  BreakerConfig c = consecutive(1, 100);
  c.stale_results = StaleResults::kCount;
  CircuitBreaker b(c);
  auto old = b.allow(0);
  fail_at(b, 1);
  EXPECT_TRUE(b.allow(200).permitted);  // half_open
  auto o = b.record(210, old.call, true);  // Polly, failsafe-go: any success in half-open closes
  EXPECT_TRUE(o.counted);
  EXPECT_EQ(b.state(), S::kClosed);
}

TEST(CircuitBreakerKnobs, ResultsInOpenCloseOrRestartTheTimeout) {
  BreakerConfig c = consecutive(1, 100);
  c.results_in_open = OpenResults::kCount;  // python circuitbreaker
  c.stale_results = StaleResults::kCount;
  CircuitBreaker b(c);
  auto a = b.allow(0), x = b.allow(0);
  fail_at(b, 10);
  b.record(50, a.call, false);  // a failure restarts the timeout
  EXPECT_EQ(b.opened_at(), 50);
  EXPECT_FALSE(b.allow(120).permitted);
  auto o = b.record(130, x.call, true);  // a success closes it
  ASSERT_EQ(o.transitions.size(), 1u);
  EXPECT_EQ(o.transitions[0].from, S::kOpen);
  EXPECT_EQ(o.transitions[0].to, S::kClosed);
}

TEST(CircuitBreakerKnobs, RateVerdictWaitsForAllTrials) {
  BreakerConfig c;
  c.policy = BreakerPolicy::kRate;
  c.window_size = 4;
  c.minimum_calls = 4;
  c.failure_rate_threshold = 50;
  c.recovery_timeout = 100;
  c.half_open_limit = HalfOpenLimit::kPerState;
  c.half_open_max_calls = 4;
  c.half_open_verdict = HalfOpenVerdict::kRate;
  CircuitBreaker b(c);
  for (int i = 0; i < 4; ++i) fail_at(b, i);
  ASSERT_EQ(b.state(), S::kOpen);
  std::vector<std::int64_t> trials;
  for (int i = 0; i < 4; ++i) trials.push_back(b.allow(200).call);
  b.record(210, trials[0], false);  // one failure does not reopen (resilience4j)
  EXPECT_EQ(b.state(), S::kHalfOpen);
  b.record(211, trials[1], true);
  b.record(212, trials[2], true);
  EXPECT_EQ(b.state(), S::kHalfOpen);
  b.record(213, trials[3], true);  // 1 of 4 failed: 25% < 50%
  EXPECT_EQ(b.state(), S::kClosed);
}

TEST(CircuitBreakerKnobs, TimeWindowForgetsOldResultsAndSlowCallsTrip) {
  BreakerConfig c;
  c.policy = BreakerPolicy::kTime;
  c.window_duration = 1000;
  c.minimum_calls = 3;
  c.failure_rate_threshold = 100;
  c.recovery_timeout = 100;
  CircuitBreaker b(c);
  fail_at(b, 0);
  fail_at(b, 10);
  fail_at(b, 1500);  // the first two left the window
  EXPECT_EQ(b.state(), S::kClosed);
  BreakerConfig slow = c;
  slow.failure_rate_threshold = 0;
  slow.slow_call_duration = 50;
  slow.slow_call_rate_threshold = 60;
  CircuitBreaker s(slow);
  for (int i = 0; i < 3; ++i) {
    auto d = s.allow(i * 100);
    s.record(i * 100 + (i == 0 ? 10 : 80), d.call, true);  // 2 of 3 successes slow: 67% >= 60%
  }
  EXPECT_EQ(s.state(), S::kOpen);
}

TEST(CircuitBreakerKnobs, ClosedIntervalClearsTheCountsAndMakesOlderResultsStale) {
  BreakerConfig c = consecutive(2, 100);
  c.closed_interval = 1000;  // gobreaker Interval
  CircuitBreaker b(c);
  auto pending = b.allow(900);
  fail_at(b, 950);
  auto o = b.record(1100, pending.call, false);  // the counts were cleared at 1001: stale, ignored
  EXPECT_FALSE(o.counted);
  EXPECT_EQ(b.state(), S::kClosed);
  fail_at(b, 1200);
  EXPECT_EQ(b.state(), S::kClosed);  // 1 in this generation
  fail_at(b, 1300);
  EXPECT_EQ(b.state(), S::kOpen);
}

TEST(CircuitBreaker, ValidateNamesTheField) {
  BreakerConfig c;
  c.half_open_max_calls = 0;
  auto r = validate(c);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("half_open_max_calls"), std::string::npos);
  EXPECT_TRUE(validate(BreakerConfig{}).ok());
}

TEST(Profiles, EveryProfileIsValidAndFoundByName) {
  for (const auto& p : breaker_profiles()) {
    EXPECT_TRUE(validate(p.config).ok()) << p.name;
    EXPECT_TRUE(breaker_profile(p.name).ok());
  }
  for (const auto& p : retry_profiles()) {
    EXPECT_TRUE(validate(p.config).ok()) << p.name;
    EXPECT_TRUE(retry_profile(p.name).ok());
  }
  auto bad = breaker_profile("hystrx");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find("did you mean \"hystrix\"?"), std::string::npos) << bad.error().message;
  EXPECT_EQ(breaker_profile("gobreaker")->config.failure_threshold, 6);  // ConsecutiveFailures > 5
  EXPECT_EQ(retry_profile("cenkalti-backoff")->config.base_delay, 500 * kMillisecond);
}

}  // namespace
}  // namespace faultline::reference
