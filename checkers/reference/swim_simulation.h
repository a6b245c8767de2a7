// Deterministic simulation of a cluster running the reference SWIM (swim.h).
//
// Contract: run_swim_simulation() builds `nodes` SwimNodes named n1..nN that
// all know each other at incarnation 0 and all start probing at time 0 (so
// their protocol periods are aligned, as in the paper's analysis), and runs
// them on a simulated network in virtual time until `duration`. Every
// datagram is dropped with probability `loss`, else delivered after a delay
// uniform in [min_delay, max_delay]. Crashed nodes stop at their crash time
// (crashes are applied before anything else due at the same instant);
// datagrams to them vanish. All randomness comes from `seed`: the same config
// gives the same result, bit for bit. With encode_messages every datagram
// goes through encode()/decode() (the wire format), which is slower.
//
// Figures (times are durations since the crash):
//  - first_detection: the first time any live node suspects (or declares
//    dead) the crashed node: the SWIM failure detector's detection;
//  - first_dead / all_dead: first live node, and last of all live nodes, to
//    declare it dead (all_dead unset unless every live node did);
//  - false positives: probes of nodes not crashed that failed (each raises or
//    confirms a false suspicion) out of all probes of such nodes; suspect /
//    dead events (at any observer) about nodes not crashed at that time;
//    falsely_dead_nodes counts distinct live nodes declared dead by someone;
//    dead_pairs_at_end counts (live observer, live subject) pairs where the
//    observer still holds the subject dead when the run ends (unrefuted).
// Returns an kInvalidInput Error naming the field for a bad config.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "checkers/reference/swim_config.h"
#include "common/result.h"
#include "common/units.h"

namespace faultline::reference {

struct SimCrash {
  std::size_t node = 0;  // 0-based index: node i is named "n<i+1>"
  Nanos at = 0;
};

struct SwimSimulationConfig {
  std::size_t nodes = 200;
  std::uint64_t seed = 1;
  double loss = 0.0;
  Nanos min_delay = 1'000'000;   // 1ms
  Nanos max_delay = 10'000'000;  // 10ms
  SwimConfig swim = SwimConfig::lan();
  std::vector<SimCrash> crashes;
  Nanos duration = 60'000'000'000;
  bool encode_messages = false;
};

struct CrashReport {
  std::string node;
  Nanos crashed_at = 0;
  std::optional<Nanos> first_detection;
  std::optional<Nanos> first_dead;
  std::optional<Nanos> all_dead;
  std::size_t dead_by = 0;         // live nodes that hold it dead at the end
  std::size_t live_observers = 0;  // nodes alive at the end
};

struct SwimSimulationResult {
  std::vector<CrashReport> crashes;
  std::uint64_t false_suspicions = 0;
  std::uint64_t false_deaths = 0;
  std::size_t falsely_dead_nodes = 0;
  std::size_t dead_pairs_at_end = 0;
  std::size_t live_nodes = 0;
  std::uint64_t probes = 0;
  std::uint64_t live_probes = 0;         // probes of nodes not crashed
  std::uint64_t failed_live_probes = 0;  // of which failed: false suspicions raised
  std::uint64_t gossip_messages = 0;
  std::uint64_t failed_probes = 0;
  std::uint64_t refutations = 0;
  std::uint64_t messages_sent = 0;
  std::uint64_t messages_dropped = 0;
};

Result<SwimSimulationResult> run_swim_simulation(const SwimSimulationConfig& config);

}  // namespace faultline::reference
