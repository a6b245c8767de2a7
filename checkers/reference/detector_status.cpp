#include "checkers/reference/detector_status.h"

#include <nlohmann/json.hpp>

namespace faultline::reference {

const char* to_string(Status status) {
  switch (status) {
    case Status::kAlive: return "alive";
    case Status::kSuspect: return "suspect";
    case Status::kDead: return "dead";
  }
  return "alive";
}

std::string to_history_line(const StatusChange& change) {
  nlohmann::ordered_json j;
  j["time"] = change.time;
  j["type"] = "detector";
  j["node"] = change.observer;
  j["subject"] = change.subject;
  j["status"] = to_string(change.status);
  j["incarnation"] = change.incarnation;
  return j.dump();
}

}  // namespace faultline::reference
