#include "checkers/reference/retry_profiles.h"

#include "checkers/reference/profile_lookup.h"
#include "common/units.h"

namespace faultline::reference {
namespace {

constexpr int kUnbounded = std::numeric_limits<int>::max();

// Each profile lists every knob, in RetryConfig order.
std::vector<RetryProfile> make_retry_profiles() {
  std::vector<RetryProfile> out;
  // cenkalti/backoff v4 ExponentialBackOff: InitialInterval 500ms,
  // RandomizationFactor 0.5 (interval +- 50%), Multiplier 1.5, MaxInterval 60s
  // (caps the interval before randomizing), MaxElapsedTime 15m, no retry limit.
  out.push_back({"cenkalti-backoff", "cenkalti/backoff v4.3.0", true,
                 RetryConfig{.max_attempts = kUnbounded, .base_delay = 500 * kMillisecond, .multiplier = 1.5,
                             .max_delay = 60 * kSecond, .jitter = Jitter::kProportional, .jitter_fraction = 0.5,
                             .min_delay = 0, .max_elapsed = 15 * 60 * kSecond},
                 {{"initial_interval", "base_delay"}, {"max_interval", "max_delay"}, {"randomization_factor", "jitter_fraction"}, {"max_elapsed_time", "max_elapsed"}}});
  // gRPC connection backoff (doc/connection-backoff.md): BASE_DELAY 1s,
  // MULTIPLIER 1.6, JITTER 0.2, MAX_DELAY 120s, reconnects without limit.
  out.push_back({"grpc", "gRPC connection backoff", false,
                 RetryConfig{.max_attempts = kUnbounded, .base_delay = 1 * kSecond, .multiplier = 1.6,
                             .max_delay = 120 * kSecond, .jitter = Jitter::kProportional, .jitter_fraction = 0.2,
                             .min_delay = 0, .max_elapsed = 0},
                 {}});
  // AWS SDK standard retry mode (aws-sdk-go-v2 aws/retry): DefaultMaxAttempts 3,
  // ExponentialJitterBackoff: before retry k a uniform [0, 2^k s), and exactly
  // DefaultMaxBackoff 20s once 2^k passes it; the retry quota only removes retries.
  out.push_back({"aws-standard", "aws-sdk-go-v2 aws/retry v1.32.0", true,
                 RetryConfig{.max_attempts = 3, .base_delay = 2 * kSecond, .multiplier = 2, .max_delay = 20 * kSecond,
                             .jitter = Jitter::kFull, .jitter_fraction = 0, .min_delay = 0, .max_elapsed = 0},
                 {{"max_backoff", "max_delay"}}});
  // Polly v8 RetryStrategyOptions with BackoffType Exponential and UseJitter
  // true: MaxRetryAttempts 3, Delay 2s, MaxDelay none (Polly's own defaults are
  // BackoffType Constant and UseJitter false: override jitter none, multiplier 1).
  out.push_back({"polly", "Polly.Core 8.4", false,
                 RetryConfig{.max_attempts = 4, .base_delay = 2 * kSecond, .multiplier = 2, .max_delay = kUnlimitedDelay,
                             .jitter = Jitter::kPolly, .jitter_fraction = 0, .min_delay = 0, .max_elapsed = 0},
                 {{"delay", "base_delay"}}});
  // tenacity wait_exponential(multiplier=1, min=0, max=inf, exp_base=2): before
  // attempt k, multiplier * 2^(k-1) clamped to [min, max]; jitter full is
  // wait_random_exponential (uniform in [0, that]: 8.2 ignores min as the lower
  // bound). Retrying's default stop is stop_never.
  out.push_back({"tenacity", "tenacity 8.2.1", true,
                 RetryConfig{.max_attempts = kUnbounded, .base_delay = 1 * kSecond, .multiplier = 2,
                             .max_delay = kUnlimitedDelay, .jitter = Jitter::kNone, .jitter_fraction = 0,
                             .min_delay = 0, .max_elapsed = 0},
                 {{"exp_base", "multiplier"}, {"min", "min_delay"}, {"max", "max_delay"}}});
  // python backoff on_exception(backoff.expo, jitter=full_jitter): expo(base=2,
  // factor=1, max_value=None) yields factor * base^n from n = 0, full_jitter draws
  // uniform [0, value]; max_tries and max_time None.
  out.push_back({"python-backoff", "backoff 2.2.1 (Python)", true,
                 RetryConfig{.max_attempts = kUnbounded, .base_delay = 1 * kSecond, .multiplier = 2,
                             .max_delay = kUnlimitedDelay, .jitter = Jitter::kFull, .jitter_fraction = 0,
                             .min_delay = 0, .max_elapsed = 0},
                 {{"factor", "base_delay"}, {"base", "multiplier"}, {"max_value", "max_delay"}, {"max_tries", "max_attempts"}, {"max_time", "max_elapsed"}}});
  // faultline's own reference retry policy (checkers/reference), the one the demo
  // node uses: the defaults of RetryConfig.
  out.push_back({"faultline", "faultline checkers/reference", true,
                 RetryConfig{.max_attempts = 4, .base_delay = 10 * kMillisecond, .multiplier = 2, .max_delay = 1 * kSecond,
                             .jitter = Jitter::kFull, .jitter_fraction = 0.2, .min_delay = 0, .max_elapsed = 0},
                 {}});
  return out;
}

}  // namespace

const std::vector<RetryProfile>& retry_profiles() {
  static const std::vector<RetryProfile> profiles = make_retry_profiles();
  return profiles;
}

Result<RetryProfile> retry_profile(const std::string& name) { return find_profile(retry_profiles(), name, "retry"); }

}  // namespace faultline::reference
