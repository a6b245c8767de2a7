// The `retry` checker: do the system's retries follow the retry policy?
//
// Contract: `retry` events are grouped per operation (node, op)
// and judged in history order. Violations:
//  - max_attempts: an attempt numbered >= max_attempts (attempts count from 0);
//  - after_success: an attempt after one whose outcome was "success" or
//    "non-retryable";
//  - numbering: an operation whose first event is not attempt 0, or an
//    attempt that is not the previous one + 1;
//  - delay_bounds: a declared `delay` outside RetryPolicy::bounds for its
//    attempt and jitter mode (decorrelated uses the op's previous declared
//    delay); attempt 0 must declare 0. One microsecond of slack absorbs
//    rounding of the multiplier;
//  - gap: the time between an attempt and the previous one shorter than the
//    declared delay minus `tolerance`.
//  - max_elapsed: an attempt whose delay, added to the time from the op's
//    first attempt event to the previous one, passes max_elapsed + tolerance.
// Config section `retry`: `profile` (required; `preset` is accepted as its
// older name): a library name from reference/retry_profiles.h that sets every
// knob; max_attempts, base_delay, multiplier, max_delay, jitter,
// jitter_fraction, min_delay and max_elapsed override single knobs; tolerance
// (1ms). With no section (or an empty one) the verdict is unknown, with the
// reason: the checker never judges against settings nobody declared.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "checkers/checker.h"
#include "checkers/reference/retry_policy.h"

namespace faultline::checkers {

struct RetryCheckConfig {
  std::string profile;
  reference::RetryConfig policy;
  Nanos tolerance = 1'000'000;
};
// nullopt when the section is absent or empty (no policy configured).
Result<std::optional<RetryCheckConfig>> parse_retry_config(const nlohmann::json& section);
std::string retry_profile_names();

std::unique_ptr<Checker> make_retry_checker();

}  // namespace faultline::checkers
