// swim-sim: runs the reference SWIM simulation (checkers/reference/
// swim_simulation.h) and prints its figures beside the paper's predictions:
// time to first detection vs T' * e/(e-1), completeness, and false positives
// at 0%, 5% and 20% packet loss.
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <fmt/core.h>

#include "checkers/reference/swim_simulation.h"

namespace ref = faultline::reference;
using faultline::Nanos;

namespace {

constexpr Nanos kSecond = 1'000'000'000;

struct Summary {
  double loss = 0;
  std::size_t runs = 0;
  std::size_t crashes = 0;
  std::size_t detected = 0;
  std::size_t complete = 0;  // declared dead by every live node
  double detection_sum = 0;  // seconds
  double all_dead_sum = 0;
  std::uint64_t live_probes = 0;
  std::uint64_t failed_live_probes = 0;
  std::uint64_t false_suspicions = 0;
  std::uint64_t false_deaths = 0;
  std::size_t falsely_dead_nodes = 0;
  std::size_t dead_pairs_at_end = 0;
  std::size_t live_nodes = 0;
  std::uint64_t refutations = 0;
  std::uint64_t messages = 0;
  std::uint64_t dropped = 0;
};

bool run(Summary& s, const ref::SwimSimulationConfig& base, std::size_t seeds, std::size_t crashes_per_run) {
  for (std::size_t seed = 1; seed <= seeds; ++seed) {
    ref::SwimSimulationConfig config = base;
    config.seed = seed;
    config.loss = s.loss;
    config.crashes.clear();
    // Crashes at period boundaries (T' = 1s), one per second from 10s, on
    // nodes spread over the cluster.
    for (std::size_t c = 0; c < crashes_per_run; ++c) {
      std::size_t node = (seed * 7919 + c * (config.nodes / crashes_per_run + 1)) % config.nodes;
      config.crashes.push_back(ref::SimCrash{node, static_cast<Nanos>(10 + c) * config.swim.probe_interval});
    }
    auto result = ref::run_swim_simulation(config);
    if (!result) {
      std::fprintf(stderr, "swim-sim: %s\n", result.error().message.c_str());
      return false;
    }
    ++s.runs;
    for (const auto& c : result->crashes) {
      ++s.crashes;
      if (c.first_detection) {
        ++s.detected;
        s.detection_sum += static_cast<double>(*c.first_detection) / kSecond;
      }
      if (c.all_dead) {
        ++s.complete;
        s.all_dead_sum += static_cast<double>(*c.all_dead) / kSecond;
      }
    }
    s.live_probes += result->live_probes;
    s.failed_live_probes += result->failed_live_probes;
    s.false_suspicions += result->false_suspicions;
    s.false_deaths += result->false_deaths;
    s.falsely_dead_nodes += result->falsely_dead_nodes;
    s.dead_pairs_at_end += result->dead_pairs_at_end;
    s.live_nodes += result->live_nodes;
    s.refutations += result->refutations;
    s.messages += result->messages_sent;
    s.dropped += result->messages_dropped;
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Reference SWIM simulation: detection time, completeness and false positives"};
  std::size_t nodes = 200;
  std::size_t seeds = 8;
  std::size_t crashes = 20;
  double duration_s = 60;
  bool lifeguard = false;
  app.add_option("--nodes", nodes, "cluster size")->check(CLI::Range(3, 100000));
  app.add_option("--seeds", seeds, "runs per loss rate (seeds 1..N)")->check(CLI::Range(1, 100000));
  app.add_option("--crashes", crashes, "nodes crashed per run, one per protocol period from 10s")->check(CLI::Range(0, 1000));
  app.add_option("--duration", duration_s, "simulated seconds per run")->check(CLI::Range(20.0, 36000.0));
  app.add_flag("--lifeguard", lifeguard, "Lifeguard local health (awareness max multiplier 8, nacks)");
  CLI11_PARSE(app, argc, argv);
  if (crashes >= nodes) {
    std::fprintf(stderr, "swim-sim: --crashes must be smaller than --nodes\n");
    return 254;
  }

  ref::SwimSimulationConfig base;
  base.nodes = nodes;
  base.duration = static_cast<Nanos>(duration_s * kSecond);
  if (lifeguard) base.swim.awareness_max_multiplier = 8;
  const double period = static_cast<double>(base.swim.probe_interval) / kSecond;
  const double e = std::exp(1.0);
  const double predicted = period * e / (e - 1);

  fmt::print("faultline: reference SWIM simulation (checkers/reference/swim_simulation.h)\n");
  fmt::print("This is a deterministic simulation of the reference SWIM detector, not a chaos run:\n");
  fmt::print("the controller (`faultline run`) is what scripts/run-example.sh will run once it exists.\n\n");
  fmt::print("cluster: {} nodes, memberlist LAN preset (probe interval {}s, probe timeout {}ms, {} indirect checks,\n",
             nodes, period, base.swim.probe_timeout / 1'000'000, base.swim.indirect_checks);
  fmt::print("         suspicion mult {}, max-timeout mult {}), Lifeguard {}; one-way delay {}-{}ms;\n",
             base.swim.suspicion_mult, base.swim.suspicion_max_timeout_mult, lifeguard ? "on" : "off",
             base.min_delay / 1'000'000, base.max_delay / 1'000'000);
  fmt::print("runs:    {} seeds per loss rate, {} crashes per run at protocol-period boundaries, {}s simulated each\n\n",
             seeds, crashes, duration_s);

  std::vector<Summary> summaries;
  for (double loss : {0.0, 0.05, 0.20}) {
    Summary s;
    s.loss = loss;
    if (!run(s, base, seeds, crashes)) return 255;
    summaries.push_back(s);
  }

  const Summary& clean = summaries[0];
  double mean_detection = clean.detected ? clean.detection_sum / clean.detected : NAN;
  fmt::print("Detection time on a loss-free network (first live node to suspect a crashed node)\n");
  fmt::print("  measured mean      {:.3f}s over {} crashes\n", mean_detection, clean.detected);
  fmt::print("  paper's prediction {:.3f}s = T' * e/(e-1), T' = protocol period {}s (random target selection)\n",
             predicted, period);
  fmt::print("  ratio              {:.3f}  ({} the 20% band)\n\n", mean_detection / predicted,
             std::fabs(mean_detection / predicted - 1) <= 0.2 ? "within" : "OUTSIDE");

  fmt::print("{:>5} | {:>18} | {:>9} | {:>9} | {:>11} | {:>10} | {:>10} | {:>11} | {:>11}\n", "loss",
             "completeness", "detection", "all dead", "false", "false dead", "live nodes", "still dead", "refutations");
  fmt::print("{:>5} | {:>18} | {:>9} | {:>9} | {:>11} | {:>10} | {:>10} | {:>11} | {:>11}\n", "",
             "(dead at all live)", "(first)", "(mean)", "suspicions", "events", "ever dead", "at end", "");
  for (const auto& s : summaries) {
    fmt::print("{:>4.0f}% | {:>6}/{:<4} {:>6.1f}% | {:>8.3f}s | {:>8.3f}s | {:>10.3f}% | {:>10} | {:>9.2f}% | {:>11} | {:>11}\n",
               s.loss * 100, s.complete, s.crashes, s.crashes ? 100.0 * s.complete / s.crashes : 100.0,
               s.detected ? s.detection_sum / s.detected : NAN, s.complete ? s.all_dead_sum / s.complete : NAN,
               s.live_probes ? 100.0 * s.failed_live_probes / s.live_probes : 0.0, s.false_deaths,
               s.live_nodes ? 100.0 * s.falsely_dead_nodes / s.live_nodes : 0.0, s.dead_pairs_at_end, s.refutations);
  }
  fmt::print("\n");
  fmt::print("completeness      crashed nodes declared dead by every live node by the end of the run\n");
  fmt::print("detection         time from crash to the first suspicion by any live node (mean)\n");
  fmt::print("all dead          time from crash until the last live node declared it dead (mean)\n");
  fmt::print("false suspicions  false-positive rate: probes of live nodes that failed, each raising or\n");
  fmt::print("                  confirming a suspicion of a live node, out of all probes of live nodes\n");
  fmt::print("false dead events dead declarations (at any observer) about live nodes\n");
  fmt::print("live nodes ever dead  share of live nodes that some node declared dead at least once\n");
  fmt::print("still dead at end (live observer, live node) pairs still marked dead when the run ends\n");
  fmt::print("                  (0: every false death was refuted by the node's higher incarnation)\n");
  return 0;
}
