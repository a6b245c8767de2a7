// Validity as JSON and text, for the controller's outputs.
//
// Contract: true / false / "unknown" (docs/checkers.md `--json` shape) and
// "valid" / "invalid" / "unknown"; the same mapping as checkers/checker.h,
// kept here so output writers do not need the checker library's symbols.
#pragma once

#include <nlohmann/json.hpp>

#include "checkers/checker.h"

namespace faultline::controller {

inline nlohmann::json validity_json(checkers::Validity v) {
  switch (v) {
    case checkers::Validity::kValid: return true;
    case checkers::Validity::kInvalid: return false;
    case checkers::Validity::kUnknown: return "unknown";
  }
  return "unknown";
}

inline const char* validity_text(checkers::Validity v) {
  switch (v) {
    case checkers::Validity::kValid: return "valid";
    case checkers::Validity::kInvalid: return "invalid";
    case checkers::Validity::kUnknown: return "unknown";
  }
  return "unknown";
}

}  // namespace faultline::controller
