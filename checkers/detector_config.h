// The detector checker's configuration: a profile and its knobs, or bounds.
//
// Contract: read_detector_config(section) reads the `detector` section of
// --config. `profile` names a reference detector (reference/
// detector_profiles.h: memberlist-lan, memberlist-wan, memberlist-local,
// serf, swim, heartbeat, akka, cassandra; `kind: swim|heartbeat|phi` is the
// older spelling of profile swim|heartbeat|akka). Every knob of the
// profile's kind may be overridden (SWIM: probe_interval, probe_timeout,
// indirect_checks, suspicion_mult, suspicion_max_timeout_mult,
// retransmit_mult, gossip_interval, gossip_nodes, gossip_to_the_dead_time,
// awareness_max_multiplier, push_pull_interval, reconnect_interval,
// ack_dead_pinger, confirm_raises_incarnation, join_on_restart; heartbeat: heartbeat_interval, timeout;
// phi: heartbeat_interval, threshold, dead_threshold, max_sample_size,
// min_std_deviation, acceptable_heartbeat_pause, first_heartbeat_estimate,
// exponential, max_interval). Also: `reports` (the statuses the service
// reports; default the profile's), `trials` (64), `margin` (1.5), `slack`
// (two probe intervals, or two heartbeat intervals), `detection_bound`/`recovery_bound` (override the replay's),
// `strict_accuracy` (true), `degraded_kinds`. A field that is not a knob of
// the chosen profile is refused, with the closest knob's name. Errors are
// kInvalidInput "config detector.FIELD: reason". `configured` is false when
// the section names no profile and does not give both bounds: the checker
// then reports unknown rather than judge against defaults nobody chose.
#pragma once

#include <optional>
#include <set>
#include <string>

#include <nlohmann/json.hpp>

#include "checkers/reference/detector_profiles.h"
#include "common/result.h"
#include "common/units.h"

namespace faultline::checkers {

struct DetectorConfig {
  bool configured = false;
  std::optional<reference::DetectorProfile> profile;  // replay against it
  std::optional<Nanos> detection_bound, recovery_bound;
  std::set<reference::Status> reports{reference::Status::kAlive, reference::Status::kSuspect,
                                      reference::Status::kDead};
  reference::Status detected = reference::Status::kDead;
  int trials = 64;
  double margin = 1.5;
  Nanos slack = 500'000'000;
  bool strict_accuracy = true;
  std::set<std::string> degraded_kinds;
  nlohmann::json knobs = nlohmann::json::object();  // every effective knob, for findings
};

Result<DetectorConfig> read_detector_config(const nlohmann::json& section);

}  // namespace faultline::checkers
