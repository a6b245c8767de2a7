// Detection and recovery bounds for the detector checker.
//
// Contract: resolve_detector_bounds returns the configured bounds when both
// are given. A missing bound is derived: the reference detector named by the
// config's `kind` runs in simulation over the history's own fault timeline
// (see detector_bounds.cpp for the model), `trials` times with different
// seeds, and the bound is the worst detection (or recovery) time seen times
// `margin` (default 1.5) plus one protocol period. When no simulation is
// possible the documented defaults apply (10s each) and `source` says so.
// Every config field it reads is consumed from the ConfigReader.
#pragma once

#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "checkers/config_reader.h"
#include "checkers/history/event.h"
#include "common/result.h"

namespace faultline::checkers {

struct DetectorBounds {
  Nanos detection_bound = 10'000'000'000;
  Nanos recovery_bound = 10'000'000'000;
  std::string source = "default";  // "config", "derived: ...", "default"
  nlohmann::json details = nlohmann::json::object();
  nlohmann::json to_json() const;
};

Result<DetectorBounds> resolve_detector_bounds(const history::History& history, ConfigReader& config,
                                               std::optional<Nanos> detection_bound,
                                               std::optional<Nanos> recovery_bound);

}  // namespace faultline::checkers
