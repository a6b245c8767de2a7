// The set of checkers, by CLI name (checker.h). Adding a checker: one line here.
#include "checkers/availability_checker.h"
#include "checkers/breaker_checker.h"
#include "checkers/checker.h"
#include "checkers/detector_checker.h"
#include "checkers/linearizable/linearizable_checker.h"
#include "checkers/retry_checker.h"

namespace faultline::checkers {

std::vector<std::string> checker_names() { return {"detector", "breaker", "retry", "linearizable", "availability"}; }

std::unique_ptr<Checker> make_checker(const std::string& name) {
  if (name == "detector") return make_detector_checker();
  if (name == "breaker") return make_breaker_checker();
  if (name == "retry") return make_retry_checker();
  if (name == "linearizable") return make_linearizable_checker();
  if (name == "availability") return make_availability_checker();
  return nullptr;
}

}  // namespace faultline::checkers
