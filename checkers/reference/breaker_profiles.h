// Breaker profiles: one name per real circuit-breaker library, setting every
// knob of the reference breaker (circuit_breaker.h) to what that library does
// with its documented defaults.
//
// Contract: breaker_profile(name) returns the profile's BreakerConfig, or
// kInvalidInput listing the known names. Every profile sets every field of
// BreakerConfig explicitly; a user's config section overrides single knobs on
// top of it. `proven` says whether the repository's recorders drive the real
// library (tools/recorders) or the profile was written from the library's
// source and documentation only. docs/profiles.md is the user-facing table of
// these values and where each comes from.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "checkers/reference/circuit_breaker.h"
#include "common/result.h"

namespace faultline::reference {

struct BreakerProfile {
  std::string name;
  std::string library;  // library and the version the defaults are taken from
  bool proven = false;  // fixtures from the real library are in the tests
  BreakerConfig config;
  // The library's own names for knobs: (library name, knob), e.g. ("timeout", "recovery_timeout").
  std::vector<std::pair<std::string, std::string>> aliases;
};

const std::vector<BreakerProfile>& breaker_profiles();
Result<BreakerProfile> breaker_profile(const std::string& name);

}  // namespace faultline::reference
