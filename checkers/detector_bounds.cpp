#include "checkers/detector_bounds.h"

#include <algorithm>
#include <map>

#include <fmt/format.h>

#include "checkers/findings.h"
#include "checkers/reference/swim_simulation.h"

namespace faultline::checkers {
namespace {

// SWIM: the reference run in simulation (swim_simulation.h) with the
// history's cluster size and its kill/pause start times as crashes (the first
// per node; one synthetic crash when the history has none). The detection
// time of a crash is when the LAST live node declares it dead; its worst case
// over `trials` seeds, times `margin`, plus one probe interval, is the
// detection bound. The simulation does not restart nodes, so the recovery
// bound is taken equal to the detection bound (a refutation spreads by the
// same gossip that spreads a death).
Result<DetectorBounds> derive_swim(const history::History& h, ConfigReader& c, int trials, double margin) {
  reference::SwimConfig swim = reference::SwimConfig::lan();
  swim.probe_interval = c.duration("probe_interval", swim.probe_interval, 1);
  swim.probe_timeout = c.duration("probe_timeout", swim.probe_timeout, 1);
  swim.indirect_checks = static_cast<int>(c.integer("indirect_checks", swim.indirect_checks, 0, 64));
  swim.suspicion_mult = static_cast<int>(c.integer("suspicion_mult", swim.suspicion_mult, 1, 1000));
  swim.suspicion_max_timeout_mult =
      static_cast<int>(c.integer("suspicion_max_timeout_mult", swim.suspicion_max_timeout_mult, 1, 1000));
  if (auto v = swim.validate(); !v) return invalid_input("config detector: " + v.error().message);

  std::map<std::string, std::size_t> index;
  for (const auto& name : h.nodes) index.emplace(name, index.size());
  for (const auto& e : h.events)
    if (const auto* d = std::get_if<history::DetectorEvent>(&e.body)) {
      index.emplace(d->node, index.size());
      index.emplace(d->subject, index.size());
    }
  const std::size_t n = std::max<std::size_t>(index.size(), 3);

  reference::SwimSimulationConfig sim;
  sim.nodes = n;
  sim.swim = swim;
  std::map<std::size_t, Nanos> crashes;
  for (const auto& e : h.events) {
    const auto* f = std::get_if<history::FaultEvent>(&e.body);
    if (!f || f->phase != history::FaultEvent::Phase::kStart) continue;
    if (f->kind() != "kill" && f->kind() != "pause") continue;
    for (const auto& t : f->targets)
      if (auto it = index.find(t); it != index.end() && crashes.size() + 1 < n) crashes.emplace(it->second, e.time);
  }
  if (crashes.empty()) crashes.emplace(0, 10 * swim.probe_interval);
  Nanos last = 0;
  for (const auto& [node, at] : crashes) {
    sim.crashes.push_back({node, at});
    last = std::max(last, at);
  }
  const Nanos max_suspicion =
      swim.suspicion_max_timeout_mult * reference::suspicion_timeout(swim.suspicion_mult, n, swim.probe_interval);
  const Nanos horizon = max_suspicion + 20 * swim.probe_interval * static_cast<Nanos>(std::max<std::size_t>(n / 10, 1)) + 10'000'000'000;
  sim.duration = last + horizon;

  Nanos worst = 0;
  std::size_t incomplete = 0;
  for (int trial = 0; trial < trials; ++trial) {
    sim.seed = static_cast<std::uint64_t>(trial) + 1;
    auto result = reference::run_swim_simulation(sim);
    if (!result) return result.error().with_context("detector bound derivation");
    for (const auto& crash : result->crashes) {
      if (crash.all_dead) {
        worst = std::max(worst, *crash.all_dead);
      } else {
        ++incomplete;
        worst = std::max(worst, horizon);
      }
    }
  }
  DetectorBounds b;
  b.detection_bound = static_cast<Nanos>(static_cast<double>(worst) * margin) + swim.probe_interval;
  b.recovery_bound = b.detection_bound;
  b.source = fmt::format("derived: reference swim simulated {} times", trials);
  b.details = {{"kind", "swim"},
               {"nodes", n},
               {"crashes", crashes.size()},
               {"trials", trials},
               {"margin", margin},
               {"worst_detection", describe_time(worst)},
               {"incomplete_runs", incomplete},
               {"probe_interval", describe_time(swim.probe_interval)},
               {"recovery", "equal to the detection bound (the simulation does not restart nodes)"}};
  return b;
}

// Heartbeat (heartbeat_detector.h): dead after `timeout` of silence, and the
// last heartbeat before a crash is at most one `heartbeat_interval` old; a
// node is alive again at its first heartbeat after it comes back.
Result<DetectorBounds> derive_heartbeat(ConfigReader& c, double margin) {
  const Nanos timeout = c.duration("timeout", 3'000'000'000, 1);
  const Nanos interval = c.duration("heartbeat_interval", 1'000'000'000, 1);
  DetectorBounds b;
  b.detection_bound = static_cast<Nanos>(static_cast<double>(timeout + interval) * margin);
  b.recovery_bound = static_cast<Nanos>(static_cast<double>(interval) * margin);
  b.source = "derived: reference heartbeat detector (deterministic worst case)";
  b.details = {{"kind", "heartbeat"}, {"timeout", describe_time(timeout)},
               {"heartbeat_interval", describe_time(interval)}, {"margin", margin}};
  return b;
}

}  // namespace

nlohmann::json DetectorBounds::to_json() const {
  nlohmann::json j{{"detection_bound", describe_time(detection_bound)},
                   {"recovery_bound", describe_time(recovery_bound)},
                   {"source", source}};
  if (!details.empty()) j["details"] = details;
  return j;
}

Result<DetectorBounds> resolve_detector_bounds(const history::History& history, ConfigReader& config,
                                               std::optional<Nanos> detection_bound,
                                               std::optional<Nanos> recovery_bound) {
  const std::string kind = config.string("kind", "swim");
  const int trials = static_cast<int>(config.integer("trials", 20, 1, 10'000));
  const double margin = config.number("margin", 1.5, 1.0, 100.0);
  DetectorBounds b;
  if (detection_bound && recovery_bound) {
    // Fields of the derivation are accepted but unused.
    for (const char* f : {"probe_interval", "probe_timeout", "indirect_checks", "suspicion_mult",
                          "suspicion_max_timeout_mult", "timeout", "heartbeat_interval"})
      config.ignore(f);
    b.detection_bound = *detection_bound;
    b.recovery_bound = *recovery_bound;
    b.source = "config";
    return b;
  }
  Result<DetectorBounds> derived = b;
  if (kind == "swim") derived = derive_swim(history, config, trials, margin);
  else if (kind == "heartbeat") derived = derive_heartbeat(config, margin);
  else if (kind == "phi")
    return invalid_input(
        "config detector: bounds for kind phi cannot be derived; set detection_bound and recovery_bound");
  else return invalid_input(fmt::format("config detector.kind: must be swim, heartbeat or phi, got \"{}\"", kind));
  if (!derived) return derived.error();
  if (detection_bound) derived->detection_bound = *detection_bound;
  if (recovery_bound) derived->recovery_bound = *recovery_bound;
  if (detection_bound || recovery_bound) derived->source += " (one bound from config)";
  return derived;
}

}  // namespace faultline::checkers
