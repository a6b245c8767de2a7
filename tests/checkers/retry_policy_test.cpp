// The reference retry policy and retry budget, with a seeded generator and no sleeping.
#include "checkers/reference/retry_policy.h"

#include <set>

#include <gtest/gtest.h>

#include "checkers/reference/retry_budget.h"

namespace faultline::reference {
namespace {


RetryConfig config(Jitter jitter, int attempts = 4, Nanos base = 100 * kMillisecond, double mult = 2, Nanos max = 1 * kSecond) {
  RetryConfig c;
  c.max_attempts = attempts;
  c.base_delay = base;
  c.multiplier = mult;
  c.max_delay = max;
  c.jitter = jitter;
  return c;
}

// Runs one operation whose attempts all fail; returns the delays drawn.
std::vector<Nanos> run_failing(const RetryPolicy& policy, std::mt19937_64& rng, RetryBudget* budget = nullptr) {
  RetryRun run(policy, rng, budget);
  std::vector<Nanos> delays;
  while (auto d = run.next()) {
    delays.push_back(*d);
    run.report(AttemptOutcome::kFailure);
  }
  return delays;
}

TEST(RetryPolicy, NominalDelayIsCappedExponential) {
  RetryPolicy p(config(Jitter::kNone, 10, 100 * kMillisecond, 2, 1 * kSecond));
  EXPECT_EQ(p.nominal_delay(0), 0);
  EXPECT_EQ(p.nominal_delay(1), 100 * kMillisecond);
  EXPECT_EQ(p.nominal_delay(2), 200 * kMillisecond);
  EXPECT_EQ(p.nominal_delay(3), 400 * kMillisecond);
  EXPECT_EQ(p.nominal_delay(4), 800 * kMillisecond);
  EXPECT_EQ(p.nominal_delay(5), 1 * kSecond);
  EXPECT_EQ(p.nominal_delay(60), 1 * kSecond);  // no overflow
}

TEST(RetryPolicy, RunsExactlyMaxAttemptsWithoutJitter) {
  RetryPolicy p(config(Jitter::kNone, 4));
  std::mt19937_64 rng(1);
  EXPECT_EQ(run_failing(p, rng), (std::vector<Nanos>{0, 100 * kMillisecond, 200 * kMillisecond, 400 * kMillisecond}));
}

TEST(RetryPolicy, EveryJitterModeRunsMaxAttemptsWithinBounds) {
  for (Jitter j : {Jitter::kFull, Jitter::kEqual, Jitter::kDecorrelated, Jitter::kProportional}) {
    RetryPolicy p(config(j, 6, 100 * kMillisecond, 2, 1 * kSecond));
    for (std::uint64_t seed = 0; seed < 200; ++seed) {
      std::mt19937_64 rng(seed);
      auto delays = run_failing(p, rng);
      ASSERT_EQ(delays.size(), 6u) << to_string(j);
      EXPECT_EQ(delays[0], 0);
      for (std::size_t k = 1; k < delays.size(); ++k) {
        const Nanos d = p.nominal_delay(static_cast<std::int64_t>(k));
        Nanos lo = 0, hi = d;
        switch (j) {
          case Jitter::kFull: break;
          case Jitter::kEqual: lo = d / 2; break;
          case Jitter::kDecorrelated:
            lo = 100 * kMillisecond;
            hi = std::min<Nanos>(1 * kSecond, 3 * (k == 1 ? 100 * kMillisecond : delays[k - 1]));
            break;
          case Jitter::kProportional: lo = d * 8 / 10; hi = d * 12 / 10; break;
          default: break;
        }
        EXPECT_GE(delays[k], lo) << to_string(j) << " attempt " << k << " seed " << seed;
        EXPECT_LE(delays[k], hi) << to_string(j) << " attempt " << k << " seed " << seed;
      }
    }
  }
}

TEST(RetryPolicy, FullJitterActuallyVaries) {
  RetryPolicy p(config(Jitter::kFull));
  std::mt19937_64 rng(7);
  std::set<Nanos> seen;
  for (int i = 0; i < 50; ++i) seen.insert(p.draw(3, 0, rng));
  EXPECT_GT(seen.size(), 40u);
}

TEST(RetryPolicy, SameSeedSameDelays) {
  RetryPolicy p(config(Jitter::kDecorrelated, 8));
  std::mt19937_64 a(99), b(99);
  EXPECT_EQ(run_failing(p, a), run_failing(p, b));
}

TEST(RetryPolicy, NoAttemptAfterSuccessOrNonRetryable) {
  RetryPolicy p(config(Jitter::kNone, 5));
  std::mt19937_64 rng(1);
  RetryRun ok(p, rng);
  ASSERT_TRUE(ok.next());
  ok.report(AttemptOutcome::kFailure);
  ASSERT_TRUE(ok.next());
  ok.report(AttemptOutcome::kSuccess);
  EXPECT_FALSE(ok.next());
  EXPECT_EQ(ok.attempts(), 2);

  RetryRun fatal(p, rng);
  ASSERT_TRUE(fatal.next());
  fatal.report(AttemptOutcome::kNonRetryable);
  EXPECT_FALSE(fatal.next());
  EXPECT_EQ(fatal.attempts(), 1);
}

TEST(RetryPolicy, DecorrelatedBoundsUsePreviousDelay) {
  RetryPolicy p(config(Jitter::kDecorrelated, 10, 10 * kMillisecond, 2, 1 * kSecond));
  auto b1 = p.bounds(1, 0);
  EXPECT_EQ(b1.lo, 10 * kMillisecond);
  EXPECT_EQ(b1.hi, 30 * kMillisecond);
  auto b2 = p.bounds(2, 25 * kMillisecond);
  EXPECT_EQ(b2.hi, 75 * kMillisecond);
  EXPECT_EQ(p.bounds(5, 900 * kMillisecond).hi, 1 * kSecond);
}

TEST(RetryPolicy, GrpcConnectionBackoffPreset) {
  RetryConfig c = grpc_connection_backoff();
  EXPECT_EQ(c.base_delay, 1 * kSecond);
  EXPECT_DOUBLE_EQ(c.multiplier, 1.6);
  EXPECT_EQ(c.max_delay, 120 * kSecond);
  EXPECT_EQ(c.jitter, Jitter::kProportional);
  EXPECT_DOUBLE_EQ(c.jitter_fraction, 0.2);
  RetryPolicy p(c);
  EXPECT_EQ(p.nominal_delay(1), 1 * kSecond);
  EXPECT_EQ(p.nominal_delay(2), 1600 * kMillisecond);
  EXPECT_EQ(p.nominal_delay(3), 2560 * kMillisecond);
  EXPECT_EQ(p.nominal_delay(20), 120 * kSecond);
  auto b = p.bounds(20);
  EXPECT_EQ(b.lo, 96 * kSecond);
  EXPECT_EQ(b.hi, 144 * kSecond);
  EXPECT_TRUE(validate(c).ok());
}

TEST(RetryPolicy, ValidateAndParseJitter) {
  EXPECT_FALSE(validate(config(Jitter::kFull, 0)).ok());
  EXPECT_FALSE(validate(config(Jitter::kFull, 3, 2 * kSecond, 2, 1 * kSecond)).ok());  // max < base
  EXPECT_TRUE(parse_jitter("equal").ok());
  auto bad = parse_jitter("fuzzy");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find("fuzzy"), std::string::npos);
}

TEST(RetryBudget, StopsRetriesInAnOutage) {
  RetryPolicy p(config(Jitter::kNone, 4));
  std::mt19937_64 rng(3);
  RetryBudget budget(RetryBudgetConfig{10, 0.1});
  std::size_t attempts = 0, refused = 0;
  for (int op = 0; op < 100; ++op) {
    RetryRun run(p, rng, &budget);
    while (auto d = run.next()) {
      ++attempts;
      run.report(AttemptOutcome::kFailure);
    }
    refused += run.budget_refused();
  }
  // Without a budget: 400 attempts. With it: every first attempt, and only
  // the retries made while tokens > max/2 (10 -> 6: 3 retries).
  EXPECT_EQ(attempts, 100u + 3u);
  EXPECT_EQ(refused, 99u);
  EXPECT_FALSE(budget.allow_retry());
}

TEST(RetryBudget, SuccessesRefillTheBucket) {
  RetryBudget budget(RetryBudgetConfig{10, 0.5});
  for (int i = 0; i < 6; ++i) budget.on_failure();
  EXPECT_DOUBLE_EQ(budget.tokens(), 4);
  EXPECT_FALSE(budget.allow_retry());
  for (int i = 0; i < 3; ++i) budget.on_success();
  EXPECT_DOUBLE_EQ(budget.tokens(), 5.5);
  EXPECT_TRUE(budget.allow_retry());
  for (int i = 0; i < 100; ++i) budget.on_success();
  EXPECT_DOUBLE_EQ(budget.tokens(), 10);  // capped
  EXPECT_FALSE(validate(RetryBudgetConfig{0, 0.1}).ok());
}

}  // namespace
}  // namespace faultline::reference
