#include "checkers/checker.h"

namespace faultline::checkers {

const char* to_string(Validity validity) {
  switch (validity) {
    case Validity::kValid: return "valid";
    case Validity::kInvalid: return "invalid";
    case Validity::kUnknown: return "unknown";
  }
  return "?";
}

nlohmann::json to_json(Validity validity) {
  switch (validity) {
    case Validity::kValid: return true;
    case Validity::kInvalid: return false;
    case Validity::kUnknown: return "unknown";
  }
  return "unknown";
}

nlohmann::json CheckReport::to_json() const {
  nlohmann::json checkers = nlohmann::json::object();
  for (const auto& [name, result] : results) {
    nlohmann::json findings = result.findings.is_object() ? result.findings : nlohmann::json::object();
    findings["valid"] = checkers::to_json(result.valid);
    checkers[name] = std::move(findings);
  }
  return {{"valid", checkers::to_json(valid)}, {"checkers", std::move(checkers)}};
}

}  // namespace faultline::checkers
