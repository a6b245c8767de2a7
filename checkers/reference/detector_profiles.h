// Failure-detector profiles: one name per real detector (library and preset),
// setting every knob of the reference detector it is judged against.
//
// Contract: detector_profile(name) returns the profile, or kInvalidInput
// naming the closest known name and listing them all. Every profile sets
// every knob of its kind explicitly:
//  - kind "swim": the reference SWIM (swim.h) with SwimConfig `swim`, and
//    `join_on_restart` (a restarted node push-pulls with every member, as a
//    memberlist service's Join does);
//  - kind "heartbeat": every node heartbeats every other every
//    `heartbeat_interval`; the observer runs HeartbeatDetector(`heartbeat`);
//  - kind "phi": the same heartbeats into PhiAccrualDetector(`phi`).
// `reports` are the statuses the library's API lets a service report (e.g.
// memberlist cannot show `suspect`); `detected` is the status that counts as
// detection (dead, or suspect for a detector that never says dead).
// docs/detector.md is the user-facing table of these values and their
// sources (memberlist config.go DefaultLANConfig/DefaultWANConfig/
// DefaultLocalConfig, Serf's DefaultConfig, Akka's cluster failure-detector
// reference.conf, Cassandra's FailureDetector).
#pragma once

#include <string>
#include <vector>

#include "checkers/reference/detector_status.h"
#include "checkers/reference/heartbeat_detector.h"
#include "checkers/reference/phi_accrual.h"
#include "checkers/reference/swim_config.h"
#include "common/result.h"

namespace faultline::reference {

struct DetectorProfile {
  std::string name;
  std::string kind;    // "swim", "heartbeat", "phi"
  std::string source;  // library and version the numbers come from
  SwimConfig swim;
  bool join_on_restart = false;
  Nanos heartbeat_interval = 1'000'000'000;
  HeartbeatConfig heartbeat;
  PhiAccrualConfig phi;
  std::vector<Status> reports{Status::kAlive, Status::kSuspect, Status::kDead};
  Status detected = Status::kDead;
};

const std::vector<DetectorProfile>& detector_profiles();
Result<DetectorProfile> detector_profile(const std::string& name);

// memberlist's presets (config.go), as SwimConfig.
SwimConfig memberlist_lan();
SwimConfig memberlist_wan();
SwimConfig memberlist_local();

}  // namespace faultline::reference
