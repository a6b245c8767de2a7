#include "checkers/history/event.h"

namespace faultline::history {

const char* to_string(OpType type) {
  switch (type) {
    case OpType::kInvoke: return "invoke";
    case OpType::kOk: return "ok";
    case OpType::kFail: return "fail";
    case OpType::kInfo: return "info";
  }
  return "?";
}

const char* to_string(DetectorStatus status) {
  switch (status) {
    case DetectorStatus::kAlive: return "alive";
    case DetectorStatus::kSuspect: return "suspect";
    case DetectorStatus::kDead: return "dead";
  }
  return "?";
}

const char* to_string(BreakerState state) {
  switch (state) {
    case BreakerState::kClosed: return "closed";
    case BreakerState::kOpen: return "open";
    case BreakerState::kHalfOpen: return "half_open";
  }
  return "?";
}

}  // namespace faultline::history
