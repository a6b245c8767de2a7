#include "checkers/reference/detector_status.h"

namespace faultline::reference {

const char* to_string(Status status) {
  switch (status) {
    case Status::kAlive: return "alive";
    case Status::kSuspect: return "suspect";
    case Status::kDead: return "dead";
  }
  return "alive";
}

}  // namespace faultline::reference
