#include "checkers/not_configured.h"

#include <fmt/format.h>

namespace faultline::checkers {

CheckResult not_configured(const std::string& name, const std::string& reason) {
  CheckResult r;
  r.valid = Validity::kUnknown;
  r.findings = {{"valid", "unknown"}, {"reason", reason}};
  r.text = fmt::format("{}: unknown ({})", name, reason);
  return r;
}

}  // namespace faultline::checkers
