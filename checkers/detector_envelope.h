// DetectorEnvelope: what the reference detector itself does under a
// history's own faults, for the detector checker to judge the SUT against.
//
// Contract: build() turns the history's fault events into a replay schedule
// (detector_replay.h: kill -> down, pause -> pause, partition grudge ->
// directional drops, delay -> egress delay/jitter, loss -> egress loss
// `percent`, blackhole-out -> egress loss 100%; other kinds are not
// modelled and listed in `unmodelled`), runs the profile's reference
// `trials` times with seeds 1..trials, and projects each reference verdict
// onto the statuses the SUT reports (`reports`: a status it does not report
// reads as alive). Against the same ground truth the checker uses
// (ground_truth.h) it then records, per ordered pair (observer, subject):
//  - detection(o, s, t0): for the unreachability that starts at t0 (observer
//    up), in how many trials the reference reached `detected` before the
//    pair was reachable again, and the range of its delays;
//  - recovery(o, s, t1): for the reachability that starts at t1 after an
//    unreachability, over the trials where the reference still suspected
//    at t1: in how many it trusted the subject again before the next
//    change, and the range of its delays;
//  - mistake(o, s, t): suspicions of a reachable subject that began while it
//    was reachable (spread by gossip, then refuted), each keyed by the last
//    fault boundary (a fault's start or end time) at or before its start:
//    the latest start offset from that boundary and the longest duration,
//    matched on the pair, else on the pair's symmetry class: nodes that
//    played the same role in every fault started so far (the same targets,
//    the same partition grudge) are interchangeable to a symmetric protocol,
//    and which of them gossip happens to reach first is chance; else on any
//    pair after the same boundary (which timers fire first is chance too);
//    else, for a mistake no boundary explains (state a heal left unrepaired,
//    surfacing at a random anti-entropy round), any reference mistake of the
//    pair, else of any pair, that began within `window` of it.
// A history without faults still replays (the reference's own mistakes in
// calm). No I/O; the trials run on up to 8 threads and are folded in
// order (the result does not depend on the threads); the clock is read only
// against `deadline`. Cost: trials x the simulated duration.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "checkers/ground_truth.h"
#include "checkers/history/event.h"
#include "checkers/reference/detector_profiles.h"
#include "common/result.h"

namespace faultline::checkers {

struct ReferenceRange {
  int trials = 0;   // trials with a sample
  int hits = 0;     // of which the reference did it (detected / recovered)
  Nanos min = 0;    // over the hits
  Nanos max = 0;
  bool always() const { return trials > 0 && hits == trials; }
  nlohmann::json to_json() const;
};

struct MistakeRange {
  Nanos boundary = 0;
  int trials = 0;          // trials with such a mistake
  Nanos max_offset = 0;    // latest start after the boundary
  Nanos max_duration = 0;  // longest
  int level = 0;           // matched on 0 the pair, 1 its symmetry class, 2 any pair (after the boundary),
                           // 3 the pair, 4 any pair (near in time)
};

struct EnvelopeOptions {
  reference::DetectorProfile profile;
  std::set<reference::Status> reports;
  int trials = 64;
  std::set<std::string> degraded_kinds;
  Nanos deadline = 0;  // CLOCK_MONOTONIC; past it build() fails with kTimeout (checked between batches)
};

class DetectorEnvelope {
 public:
  static Result<DetectorEnvelope> build(const history::History& history, const NodeIndex& nodes,
                                        const EnvelopeOptions& options);

  const ReferenceRange* detection(int o, int s, Nanos t0) const;
  const ReferenceRange* recovery(int o, int s, Nanos t1) const;
  // Reference recovery at the same boundary over any pair, then over the
  // whole run: for a pair the reference never suspected at t1.
  const ReferenceRange* recovery_fallback(Nanos t1) const;
  // The reference's mistakes that could explain one starting at t on (o, s)
  // (boundaries within `slack` after t count too): the widest allowance.
  // A mistake starting up to max_offset x margin + slack after its boundary.
  std::optional<MistakeRange> mistake(int o, int s, Nanos t, double margin, Nanos slack, Nanos window) const;
  // The label of the fault boundary at `t` ("end of f1 (partition)").
  std::string boundary_label(Nanos t) const;
  Nanos latest_boundary(Nanos t) const;

  int trials() const { return trials_; }
  const std::vector<std::string>& unmodelled() const { return unmodelled_; }
  std::uint64_t simulated_events() const { return events_; }
  nlohmann::json summary() const;

 private:
  using Key = std::pair<int, Nanos>;  // (pair index or subject, time)
  int n_ = 0;
  int trials_ = 0;
  std::map<Key, ReferenceRange> detection_, recovery_;
  std::map<Nanos, ReferenceRange> recovery_by_time_;
  ReferenceRange recovery_any_;
  int class_key(int o, int s, Nanos t) const;
  std::map<Key, MistakeRange> mistakes_pair_, mistakes_class_, mistakes_any_;
  std::map<int, std::vector<std::pair<Nanos, Nanos>>> mistake_times_;  // pair (-1: any) -> (start, duration)
  std::vector<Nanos> fault_starts_;               // sorted
  std::vector<std::vector<int>> classes_;         // [faults started][node] -> class id
  std::map<Nanos, std::string> boundaries_;
  std::vector<std::string> unmodelled_;
  std::uint64_t events_ = 0;
  std::string profile_;
};

}  // namespace faultline::checkers
