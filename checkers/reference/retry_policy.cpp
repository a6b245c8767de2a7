#include "checkers/reference/retry_policy.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "checkers/reference/retry_budget.h"

namespace faultline::reference {

const char* to_string(Jitter jitter) {
  switch (jitter) {
    case Jitter::kNone: return "none";
    case Jitter::kFull: return "full";
    case Jitter::kEqual: return "equal";
    case Jitter::kDecorrelated: return "decorrelated";
    case Jitter::kProportional: return "proportional";
    case Jitter::kPolly: return "polly";
  }
  return "?";
}

Result<Jitter> parse_jitter(const std::string& text) {
  for (Jitter j : {Jitter::kNone, Jitter::kFull, Jitter::kEqual, Jitter::kDecorrelated, Jitter::kProportional, Jitter::kPolly})
    if (text == to_string(j)) return j;
  return invalid_input(fmt::format("retry: jitter must be none, full, equal, decorrelated, proportional or polly, got \"{}\"", text));
}

Result<void> validate(const RetryConfig& c) {
  auto bad = [](const char* field, const char* why) { return invalid_input(fmt::format("retry: {} {}", field, why)); };
  if (c.max_attempts < 1) return bad("max_attempts", "must be >= 1");
  if (c.base_delay < 0) return bad("base_delay", "must be >= 0");
  if (!(c.multiplier >= 1.0)) return bad("multiplier", "must be >= 1");
  if (c.max_delay < c.base_delay) return bad("max_delay", "must be >= base_delay");
  if (!(c.jitter_fraction >= 0 && c.jitter_fraction < 1)) return bad("jitter_fraction", "must be in [0, 1)");
  if (c.min_delay < 0 || c.min_delay > c.max_delay) return bad("min_delay", "must be in [0, max_delay]");
  if (c.max_elapsed < 0) return bad("max_elapsed", "must be >= 0");
  return ok_result();
}

RetryConfig grpc_connection_backoff() {
  RetryConfig c;
  c.max_attempts = std::numeric_limits<int>::max();
  c.base_delay = 1'000'000'000;
  c.multiplier = 1.6;
  c.max_delay = 120'000'000'000;
  c.jitter = Jitter::kProportional;
  c.jitter_fraction = 0.2;
  return c;
}

Nanos RetryPolicy::nominal_delay(std::int64_t attempt) const {
  if (attempt <= 0) return 0;
  const double max = static_cast<double>(config_.max_delay);
  double d = static_cast<double>(config_.base_delay);
  for (std::int64_t k = 1; k < attempt && d < max; ++k) d *= config_.multiplier;
  const Nanos nominal = d >= max ? config_.max_delay : static_cast<Nanos>(std::llround(d));
  return std::max(nominal, config_.min_delay);
}

DelayBounds RetryPolicy::bounds(std::int64_t attempt, Nanos previous_delay) const {
  if (attempt <= 0) return {0, 0};
  const Nanos d = nominal_delay(attempt);
  switch (config_.jitter) {
    case Jitter::kNone: return {d, d};
    case Jitter::kFull: return {0, d};
    case Jitter::kEqual: return {d / 2, d};
    case Jitter::kDecorrelated: {
      const Nanos prev = previous_delay > 0 ? previous_delay : config_.base_delay;
      const Nanos tripled = prev > config_.max_delay / 3 ? config_.max_delay : prev * 3;
      const Nanos hi = std::min(config_.max_delay, tripled);
      return {config_.base_delay, std::max(config_.base_delay, hi)};
    }
    case Jitter::kProportional: {
      const double f = config_.jitter_fraction;
      return {static_cast<Nanos>(std::floor(static_cast<double>(d) * (1 - f))),
              static_cast<Nanos>(std::ceil(static_cast<double>(d) * (1 + f)))};
    }
    case Jitter::kPolly: {
      auto f = [](double t) { return t <= 0 ? 0.0 : std::pow(2.0, t) * std::tanh(std::sqrt(4.0 * t)); };
      const double k = static_cast<double>(attempt);
      const double hi = (f(k) - f(k - 2)) / 1.4 * static_cast<double>(config_.base_delay);
      return {0, std::min(config_.max_delay, static_cast<Nanos>(std::min(std::ceil(hi), static_cast<double>(kUnlimitedDelay))))};
    }
  }
  return {d, d};
}

Nanos RetryPolicy::draw(std::int64_t attempt, Nanos previous_delay, std::mt19937_64& rng) const {
  const DelayBounds b = bounds(attempt, previous_delay);
  if (b.lo >= b.hi) return b.lo;
  return std::uniform_int_distribution<Nanos>(b.lo, b.hi)(rng);
}

std::optional<Nanos> RetryRun::next() {
  if (done_ || awaiting_report_) return std::nullopt;
  if (attempts_ >= policy_.config().max_attempts) {
    done_ = true;
    return std::nullopt;
  }
  Nanos delay = 0;
  if (attempts_ > 0) {
    if (budget_ && !budget_->allow_retry()) {
      budget_refused_ = true;
      done_ = true;
      return std::nullopt;
    }
    delay = policy_.draw(attempts_, previous_delay_, rng_);
    previous_delay_ = delay;
  }
  ++attempts_;
  awaiting_report_ = true;
  return delay;
}

void RetryRun::report(AttemptOutcome outcome) {
  if (!awaiting_report_) return;
  awaiting_report_ = false;
  switch (outcome) {
    case AttemptOutcome::kSuccess:
      if (budget_) budget_->on_success();
      done_ = true;
      break;
    case AttemptOutcome::kFailure:
      if (budget_) budget_->on_failure();
      break;
    case AttemptOutcome::kNonRetryable:
      done_ = true;
      break;
  }
}

}  // namespace faultline::reference
