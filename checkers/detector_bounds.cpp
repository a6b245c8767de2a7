#include "checkers/detector_bounds.h"

#include "checkers/findings.h"

namespace faultline::checkers {

nlohmann::json DetectorBounds::to_json() const {
  nlohmann::json j{{"detection_bound", describe_time(detection_bound)},
                   {"recovery_bound", describe_time(recovery_bound)},
                   {"source", source}};
  if (!details.empty()) j["details"] = details;
  return j;
}

Result<DetectorBounds> resolve_detector_bounds(const history::History&, ConfigReader&,
                                               std::optional<Nanos> detection_bound,
                                               std::optional<Nanos> recovery_bound) {
  DetectorBounds b;
  if (detection_bound) b.detection_bound = *detection_bound;
  if (recovery_bound) b.recovery_bound = *recovery_bound;
  b.source = detection_bound && recovery_bound ? "config" : "default (10s where not configured)";
  return b;
}

}  // namespace faultline::checkers
