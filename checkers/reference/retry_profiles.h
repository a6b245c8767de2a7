// Retry profiles: one name per real retry/backoff library, setting every knob
// of the reference retry policy (retry_policy.h) to what that library does with
// its documented defaults.
//
// Contract: retry_profile(name) returns the profile, or kInvalidInput listing
// the known names. Every profile sets every field of RetryConfig explicitly; a
// user's config section overrides single knobs on top of it. Attempts count
// from 0 (max_attempts includes the first try); "unbounded" is INT_MAX, "no
// cap" is kUnlimitedDelay. `proven` says whether the repository's recorders
// drive the real library. docs/profiles.md is the user-facing table.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "checkers/reference/retry_policy.h"
#include "common/result.h"

namespace faultline::reference {

struct RetryProfile {
  std::string name;
  std::string library;
  bool proven = false;
  RetryConfig config;
  // The library's own names for knobs: (library name, knob), e.g. ("timeout", "recovery_timeout").
  std::vector<std::pair<std::string, std::string>> aliases;
};

const std::vector<RetryProfile>& retry_profiles();
Result<RetryProfile> retry_profile(const std::string& name);

}  // namespace faultline::reference
