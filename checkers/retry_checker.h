// The `retry` checker: do the system's retries follow the retry policy?
//
// Contract (issue 6): `retry` events are grouped per operation (node, op)
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
// Config section `retry` (defaults in parentheses): max_attempts (4),
// base_delay (10ms), multiplier (2), max_delay (1s), jitter (full) | none |
// equal | decorrelated | proportional, jitter_fraction (0.2), tolerance
// (1ms), preset: "grpc" starts from the gRPC connection-backoff preset.
#pragma once

#include <memory>

#include "checkers/checker.h"
#include "checkers/reference/retry_policy.h"

namespace faultline::checkers {

struct RetryCheckConfig {
  reference::RetryConfig policy;
  Nanos tolerance = 1'000'000;
};
Result<RetryCheckConfig> parse_retry_config(const nlohmann::json& section);

std::unique_ptr<Checker> make_retry_checker();

}  // namespace faultline::checkers
