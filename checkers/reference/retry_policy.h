// RetryPolicy: the reference retry/backoff policy, pure and deterministic.
//
// Contract (foundation issue, item 5). An operation makes at most
// `max_attempts` attempts in total. Attempt 0 runs without delay; attempt
// k >= 1 runs after a backoff derived from the nominal delay
//   d(k) = min(max_delay, base_delay * multiplier^(k-1))
// and the jitter mode:
//   none          exactly d(k)
//   full          uniform in [0, d(k)]
//   equal         uniform in [d(k)/2, d(k)]
//   decorrelated  uniform in [base_delay, min(max_delay, 3 * previous)], where
//                 previous is the delay before the previous attempt
//                 (base_delay for attempt 1) -- AWS "decorrelated jitter"
//   proportional  uniform in [d(k) * (1 - jitter_fraction), d(k) * (1 + jitter_fraction)]
//                 (gRPC connection backoff, cenkalti/backoff; may exceed
//                 max_delay by the fraction)
//   polly         Polly v8's exponential backoff with jitter (decorrelated
//                 jitter "V2": t = k-1+U[0,1), f(t) = 2^t * tanh(sqrt(4t)),
//                 delay = (f(t) - f(t_previous)) / 1.4 * base_delay): bounds
//                 [0, (f(k) - f(k-2)) / 1.4 * base_delay], at most max_delay
// `min_delay` raises d(k) to at least that much (tenacity's min=; its
// wait_random_exponential still draws from [0, d(k)]). `max_elapsed` > 0:
// no attempt follows once the time since the operation's first attempt plus
// the next delay would exceed it (cenkalti/backoff MaxElapsedTime, python
// backoff max_time).
// No attempt follows a success or a non-retryable error. Randomness comes
// only from the generator passed in, so a seed reproduces a run. Delays are
// integer nanoseconds; bounds are inclusive. The optional RetryBudget
// (retry_budget.h) refuses retries when retries would multiply load.
#pragma once

#include <cstdint>
#include <limits>
#include <optional>
#include <random>

#include "common/result.h"
#include "common/units.h"

namespace faultline::reference {

class RetryBudget;

enum class Jitter { kNone, kFull, kEqual, kDecorrelated, kProportional, kPolly };
const char* to_string(Jitter jitter);
// "none", "full", "equal", "decorrelated", "proportional", "polly"; kInvalidInput else.
Result<Jitter> parse_jitter(const std::string& text);

struct RetryConfig {
  int max_attempts = 4;                 // total, including attempt 0
  Nanos base_delay = 10'000'000;        // 10ms
  double multiplier = 2.0;
  Nanos max_delay = 1'000'000'000;      // 1s
  Jitter jitter = Jitter::kFull;
  double jitter_fraction = 0.2;         // proportional only
  Nanos min_delay = 0;                  // floor of d(k); full jitter's lower bound
  Nanos max_elapsed = 0;                // 0 = no limit on the operation's duration
};
// Delays and durations at or above this print as "none" (no limit).
constexpr Nanos kUnlimitedDelay = std::numeric_limits<Nanos>::max() / 4;
Result<void> validate(const RetryConfig& config);

// gRPC connection backoff (doc/connection-backoff.md): initial 1s, x1.6,
// jitter +-20%, cap 120s, attempts unbounded.
RetryConfig grpc_connection_backoff();

struct DelayBounds {
  Nanos lo = 0;
  Nanos hi = 0;
  bool contains(Nanos d) const { return d >= lo && d <= hi; }
};

enum class AttemptOutcome { kSuccess, kFailure, kNonRetryable };

class RetryPolicy {
 public:
  explicit RetryPolicy(RetryConfig config = {}) : config_(config) {}
  const RetryConfig& config() const { return config_; }

  // d(k) before jitter; 0 for attempt 0.
  Nanos nominal_delay(std::int64_t attempt) const;
  // Inclusive bounds of the delay before `attempt`; `previous_delay` is the
  // delay before attempt-1 (only decorrelated uses it; <= 0 means base_delay).
  DelayBounds bounds(std::int64_t attempt, Nanos previous_delay = 0) const;
  // Draws the delay before `attempt` within bounds().
  Nanos draw(std::int64_t attempt, Nanos previous_delay, std::mt19937_64& rng) const;

 private:
  RetryConfig config_;
};

// One logical operation being retried. Usage:
//   RetryRun run(policy, rng, &budget);
//   while (auto delay = run.next()) { sleep(*delay); outcome = try(); run.report(outcome); }
class RetryRun {
 public:
  RetryRun(const RetryPolicy& policy, std::mt19937_64& rng, RetryBudget* budget = nullptr)
      : policy_(policy), rng_(rng), budget_(budget) {}
  // The delay before the next attempt, or nullopt when no attempt may follow
  // (success, non-retryable, max_attempts reached, or the budget refused).
  std::optional<Nanos> next();
  void report(AttemptOutcome outcome);
  std::int64_t attempts() const { return attempts_; }  // attempts started
  bool budget_refused() const { return budget_refused_; }

 private:
  const RetryPolicy& policy_;
  std::mt19937_64& rng_;
  RetryBudget* budget_;
  std::int64_t attempts_ = 0;
  Nanos previous_delay_ = 0;
  bool done_ = false;
  bool awaiting_report_ = false;
  bool budget_refused_ = false;
};

}  // namespace faultline::reference
