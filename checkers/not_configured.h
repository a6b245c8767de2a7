// The verdict of a checker that has no configuration to judge by.
//
// Contract: not_configured(name, reason) is an unknown CheckResult whose
// findings are {"valid": "unknown", "reason": REASON} and whose text is
// "NAME: unknown (REASON)". A checker returns it rather than judge a history
// against settings nobody declared.
#pragma once

#include <string>

#include "checkers/checker.h"

namespace faultline::checkers {

CheckResult not_configured(const std::string& name, const std::string& reason);

}  // namespace faultline::checkers
