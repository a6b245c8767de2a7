// Replay: a cluster of reference detectors run in simulation over a given
// fault schedule (a history's own faults), in virtual time.
//
// Contract: run_detector_replay() starts one reference detector per node of
// `nodes` (profile.kind: swim -> SwimNode, heartbeat -> HeartbeatDetector,
// phi -> PhiAccrualDetector fed by heartbeats every heartbeat_interval to
// every node, first one at a random phase) at time 0, all knowing each other
// alive, and runs them until `duration` on a simulated network: every
// datagram takes a base latency uniform in [min_delay, max_delay]. The
// schedule's windows, each active on [start, end):
//  - down:  the nodes are killed; datagrams to them vanish; at `end` each
//           restarts fresh (all peers alive; SWIM at incarnation 0 and, with
//           join_on_restart, a push-pull with every member);
//  - pause: the nodes are frozen: datagrams to them wait in their socket and
//           are handled at `end`, followed by their overdue timers;
//  - drop:  `drops` (a, b): a drops every datagram from b (a partition
//           grudge, directional as recorded);
//  - delay: datagrams sent by `nodes` (every node when empty) take `delay`
//           plus uniform jitter in [-jitter, +jitter] more (netem on egress);
//  - loss:  datagrams sent by `nodes` (every node when empty) are lost with
//           probability `loss` (push-pull rides TCP and is exempt).
// Every change of an observer's verdict is returned in time order; a restart
// is returned as `reset` entries (alive) for every subject at the restart
// time. All randomness comes from `seed`: the same inputs give the same
// output, bit for bit. Errors: kInvalidInput naming the bad field.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "checkers/reference/detector_profiles.h"
#include "common/result.h"
#include "common/units.h"

namespace faultline::reference {

struct NetworkWindow {
  enum class Kind { kDown, kPause, kDrop, kDelay, kLoss };
  Kind kind = Kind::kDown;
  Nanos start = 0;
  Nanos end = 0;
  std::vector<int> nodes;
  std::vector<std::pair<int, int>> drops;  // (a, b): a drops b's datagrams
  Nanos delay = 0;
  Nanos jitter = 0;
  double loss = 0.0;
};

struct ReplayConfig {
  std::vector<std::string> nodes;
  std::vector<NetworkWindow> schedule;
  DetectorProfile profile;
  Nanos duration = 0;
  std::uint64_t seed = 1;
  Nanos min_delay = 200'000;    // 0.2ms: one LAN hop
  Nanos max_delay = 2'000'000;  // 2ms
};

struct ReplayChange {
  Nanos time = 0;
  int observer = 0;
  int subject = 0;
  Status status = Status::kAlive;
  bool reset = false;  // the observer restarted (status is alive)
};

struct ReplayResult {
  std::vector<ReplayChange> changes;
  std::uint64_t events = 0;  // simulation steps, for benchmarks
};

Result<ReplayResult> run_detector_replay(const ReplayConfig& config);

}  // namespace faultline::reference
