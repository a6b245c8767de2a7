// Placeholder until the search lands (same session): keeps the header linkable.
#include "checkers/linearizable/linearizable_checker.h"

namespace faultline::checkers {
namespace {
class PendingChecker : public Checker {
 public:
  std::string name() const override { return "linearizable"; }
  bool applies(const history::History&) const override { return false; }
  Result<CheckResult> check(const history::History&, const CheckOptions&) override {
    CheckResult r;
    r.valid = Validity::kUnknown;
    r.findings = {{"valid", "unknown"}, {"reason", "linearizable checker not built yet"}};
    r.text = "linearizable: unknown (checker not built yet)";
    return r;
  }
};
}  // namespace
std::unique_ptr<Checker> make_linearizable_checker() { return std::make_unique<PendingChecker>(); }
}  // namespace faultline::checkers
