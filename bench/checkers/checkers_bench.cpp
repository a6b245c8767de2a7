// checkers_bench: throughput of the breaker, retry, detector and availability checkers on
// histories generated here (seeded; the breaker and retry ones per profile
// family), pinned to one core, beside the 1M events/s baseline; and of the
// reference circuit breaker. Each checker's rate is printed by wall time and
// by the process's CPU time; OK/BELOW judges the CPU-time rate, which other
// processes on a shared machine do not change.
// The detector's replay: a 100k-event, 5-node history with 10
// fault windows (halves, isolate, kill, pause, delay, twice), checked under
// profile memberlist-lan (64 replays of the reference) beside the same
// history checked with bounds only (no replay); the 10s budget.
//   checkers_bench [EVENTS]   (default 2,000,000 per history)
//   checkers_bench 0 detector-replay   (only the replay figures)
#include <sched.h>
#include <time.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <algorithm>
#include <random>
#include <string>

#include "bench/checkers/generated_histories.h"
#include "checkers/breaker_checker.h"
#include "checkers/checker.h"
#include "checkers/retry_checker.h"
#include "checkers/reference/circuit_breaker.h"
#include "checkers/reference/detector_replay.h"
#include "checkers/reference/retry_policy.h"
#include "common/units.h"

using namespace faultline;
using history::Event;

namespace {

constexpr double kBaseline = 1'000'000;

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// This process's CPU time (all its threads): what the checker costs, whatever
// else the machine runs.
double process_cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

using bench::push;

// Breakers driven by the reference itself, configured as the profile named
// in `config` (plus its overrides): bursts of failures trip them.
history::History breaker_history(std::size_t target, const nlohmann::json& section) {
  auto parsed = checkers::parse_breaker_config(section);
  if (!parsed || !*parsed) {
    std::printf("bad breaker config %s\n", section.dump().c_str());
    std::exit(1);
  }
  return bench::breaker_history(target, {"n1", "n2", "n3", "n4"}, (*parsed)->breaker);
}

history::History retry_history(std::size_t target, const nlohmann::json& section) {
  auto parsed = checkers::parse_retry_config(section);
  if (!parsed || !*parsed) {
    std::printf("bad retry config %s\n", section.dump().c_str());
    std::exit(1);
  }
  return bench::retry_history(target, {"n1", "n2", "n3"}, (*parsed)->policy);
}

// Client ops for the availability checker: 8 processes, 10,000 ops/s in
// all (1ms each), a partition 5s..10s of every 20s during which 30% fail,
// and 1s after each heal when 10% still fail.
history::History availability_history(std::size_t target_ops) {
  history::History h;
  h.nodes = {"n1", "n2", "n3"};
  push(h, 0, history::ClusterEvent{h.nodes});
  std::mt19937_64 rng(5);
  const Nanos kSecond = 1'000'000'000, gap = 100'000;  // an op every 100us
  std::size_t ops = 0;
  int fault = 0;
  for (Nanos block = 0; ops < target_ops; block += 20 * kSecond) {
    const std::string id = "f" + std::to_string(fault++);
    history::FaultEvent start;
    start.id = id;
    start.fault = {{"kind", "partition"}};
    start.targets = {"n1"};
    history::FaultEvent end;
    end.phase = history::FaultEvent::Phase::kEnd;
    end.id = id;
    bool started = false, ended = false;
    for (Nanos t = block; t < block + 20 * kSecond && ops < target_ops; t += gap, ++ops) {
      if (!started && t >= block + 5 * kSecond) push(h, t, start), started = true;
      if (!ended && t >= block + 10 * kSecond) push(h, t, end), ended = true;
      const bool during = started && !ended, after = ended && t < block + 11 * kSecond;
      const auto roll = rng() % 100;
      const bool ok = during ? roll >= 30 : after ? roll >= 10 : roll != 0;
      const std::int64_t process = static_cast<std::int64_t>(ops % 8);
      push(h, t, history::ClientEvent{history::OpType::kInvoke, process, "read", nullptr, std::nullopt, "n1"});
      push(h, t + 1'000'000 + static_cast<Nanos>(rng() % 500'000),
           history::ClientEvent{ok ? history::OpType::kOk : history::OpType::kFail, process, "read", nullptr, std::nullopt, "n1"});
    }
    if (started && !ended) push(h, block + 10 * kSecond, end);
  }
  std::stable_sort(h.events.begin(), h.events.end(), [](const Event& a, const Event& b) { return a.time < b.time; });
  for (std::size_t i = 0; i < h.events.size(); ++i) h.events[i].index = i;
  return h;
}

void bench_checker(const char* name, const history::History& h, nlohmann::json config) {
  auto checker = checkers::make_checker(name);
  if (!checker) {
    std::printf("no checker named %s\n", name);
    return;
  }
  checkers::CheckOptions options;
  options.config = std::move(config);
  auto t0 = std::chrono::steady_clock::now();
  const double cpu0 = process_cpu_seconds();
  auto r = checker->check(h, options);
  const double s = seconds_since(t0);
  const double cpu = process_cpu_seconds() - cpu0;
  if (!r) {
    std::printf("%-10s checker error: %s\n", name, r.error().message.c_str());
    return;
  }
  const double rate = static_cast<double>(h.events.size()) / s;
  const double cpu_rate = static_cast<double>(h.events.size()) / cpu;
  const std::string profile = options.config.value("profile", "");
  std::printf("%-8s %-16s %10zu events  wall %7.3fs %10.0f/s  cpu %7.3fs %10.0f/s  baseline %.0f  %s  (verdict %s)\n",
              name, profile.c_str(), h.events.size(), s, rate, cpu, cpu_rate, kBaseline,
              cpu_rate >= kBaseline ? "OK" : "BELOW", checkers::to_string(r->valid));
  if (std::string(name) == "availability") {
    const double ops = static_cast<double>(r->findings["ops"]["total"].get<std::size_t>());
    std::printf("%-8s %-16s %10.0f client ops  wall %10.0f ops/s  cpu %10.0f ops/s  baseline %.0f  %s  (%s)\n", name, "",
                ops, ops / s, ops / cpu, kBaseline, ops / cpu >= kBaseline ? "OK" : "BELOW", r->text.substr(0, 160).c_str());
  }
}

// Five nodes, ten fault windows 40s apart (halves 25s, isolate 30s, kill
// 15s, pause 10s, delay 15s, then again), the detector events a memberlist
// cluster (the reference, its own seed, suspicions reported) makes under
// them, and client operations around them up to `target` events.
history::History replay_history(std::size_t target) {
  using reference::NetworkWindow;
  const Nanos kSecond = 1'000'000'000;
  history::History h;
  h.nodes = {"n1", "n2", "n3", "n4", "n5"};
  push(h, 0, history::ClusterEvent{h.nodes});
  reference::ReplayConfig rc;
  rc.nodes = h.nodes;
  rc.profile = *reference::detector_profile("memberlist-lan");
  rc.seed = 4242;
  for (int k = 0; k < 10; ++k) {
    const Nanos at = 10 * kSecond + k * 40 * kSecond;
    history::FaultEvent start;
    start.id = "f" + std::to_string(k + 1);
    NetworkWindow w;
    w.start = at;
    Nanos length = 0;
    switch (k % 5) {
      case 0:
      case 1: {
        const bool halves = k % 5 == 0;
        length = halves ? 25 * kSecond : 30 * kSecond;
        start.fault = {{"kind", "partition"}, {"mode", halves ? "halves" : "isolate"}};
        start.targets = h.nodes;
        w.kind = NetworkWindow::Kind::kDrop;
        for (int a = 0; a < 5; ++a)
          for (int b = 0; b < 5; ++b) {
            const bool split = halves ? (a < 3) != (b < 3) : (a == 0) != (b == 0);
            if (a == b || !split) continue;
            start.grudge[h.nodes[a]].push_back(h.nodes[b]);
            w.drops.emplace_back(a, b);
          }
        break;
      }
      case 2:
      case 3:
        length = k % 5 == 2 ? 15 * kSecond : 10 * kSecond;
        start.fault = {{"kind", k % 5 == 2 ? "kill" : "pause"}};
        start.targets = {h.nodes[static_cast<std::size_t>(2 + k % 2)]};
        w.kind = k % 5 == 2 ? NetworkWindow::Kind::kDown : NetworkWindow::Kind::kPause;
        w.nodes = {2 + k % 2};
        break;
      default:
        length = 15 * kSecond;
        start.fault = {{"kind", "delay"}, {"delay", "200ms"}, {"jitter", "50ms"}};
        w.kind = NetworkWindow::Kind::kDelay;
        w.delay = 200 * kMillisecond;
        w.jitter = 50 * kMillisecond;
    }
    w.end = at + length;
    rc.schedule.push_back(w);
    push(h, at, start);
    history::FaultEvent end;
    end.phase = history::FaultEvent::Phase::kEnd;
    end.id = start.id;
    push(h, at + length, end);
  }
  rc.duration = 10 * kSecond + 10 * 40 * kSecond;
  auto replay = reference::run_detector_replay(rc);
  if (replay) {
    for (const auto& c : replay->changes) {
      if (c.reset) continue;
      const auto st = c.status == reference::Status::kAlive     ? history::DetectorStatus::kAlive
                      : c.status == reference::Status::kSuspect ? history::DetectorStatus::kSuspect
                                                                : history::DetectorStatus::kDead;
      push(h, c.time, history::DetectorEvent{h.nodes[static_cast<std::size_t>(c.observer)],
                                             h.nodes[static_cast<std::size_t>(c.subject)], st, 0});
    }
  }
  std::mt19937_64 rng(5);
  for (std::int64_t op = 0; h.events.size() + 2 <= target; ++op) {
    const Nanos at = static_cast<Nanos>(rng() % static_cast<std::uint64_t>(rc.duration));
    history::ClientEvent invoke;
    invoke.process = op % 10;
    invoke.f = "read";
    push(h, at, invoke);
    history::ClientEvent ok = invoke;
    ok.type = history::OpType::kOk;
    push(h, at + 1 * kMillisecond, ok);
  }
  std::stable_sort(h.events.begin(), h.events.end(), [](const Event& a, const Event& b) { return a.time < b.time; });
  for (std::size_t i = 0; i < h.events.size(); ++i) h.events[i].index = i;
  return h;
}

void bench_replay() {
  const auto h = replay_history(100'000);
  std::size_t detector_events = 0;
  for (const auto& e : h.events) detector_events += std::holds_alternative<history::DetectorEvent>(e.body);
  std::printf("detector replay: %zu events (%zu detector events), 5 nodes, 10 fault windows, %.0fs of history\n",
              h.events.size(), detector_events, static_cast<double>(h.end_time()) / 1e9);
  for (const nlohmann::json& section :
       {nlohmann::json{{"detection_bound", "30s"}, {"recovery_bound", "100s"}, {"strict_accuracy", false}},
        nlohmann::json{{"profile", "memberlist-lan"}, {"reports", {"alive", "suspect", "dead"}}}}) {
    auto checker = checkers::make_checker("detector");
    checkers::CheckOptions options;
    options.config = section;
    auto t0 = std::chrono::steady_clock::now();
    const double cpu0 = process_cpu_seconds();
    auto r = checker->check(h, options);
    const double s = seconds_since(t0);
    const double cpu = process_cpu_seconds() - cpu0;
    if (!r) {
      std::printf("  error: %s\n", r.error().message.c_str());
      continue;
    }
    const bool replay = section.contains("profile");
    std::printf("  %-34s wall %7.3fs  cpu %7.3fs  budget 10s %s  (verdict %s%s)\n",
                replay ? "with replay (memberlist-lan, 64x)" : "without replay (bounds only)", s, cpu,
                s < 10 ? "OK" : "OVER", checkers::to_string(r->valid),
                replay ? (", " + r->findings["reference"].value("simulated_events", nlohmann::json(0)).dump() +
                          " simulated steps")
                             .c_str()
                       : "");
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc > 2 && std::string(argv[2]) == "detector-replay") {
    bench_replay();
    return 0;
  }
  const std::size_t events = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 2'000'000;
  cpu_set_t one;
  CPU_ZERO(&one);
  CPU_SET(0, &one);
  if (sched_setaffinity(0, sizeof(one), &one) != 0) std::printf("(could not pin to one core; single-threaded anyway)\n");

  std::printf("checker throughput, one core, generated histories\n");
  // One history per profile family: consecutive, count window, time window.
  for (const nlohmann::json& section :
       {nlohmann::json{{"profile", "faultline"}, {"failure_threshold", 5}, {"recovery_timeout", "50ms"}, {"tolerance", 0}},
        nlohmann::json{{"profile", "gobreaker"}, {"failure_threshold", 5}, {"recovery_timeout", "50ms"}, {"max_requests", 3},
                       {"tolerance", 0}},
        nlohmann::json{{"profile", "resilience4j"}, {"window_size", 20}, {"minimum_calls", 10},
                       {"recovery_timeout", "50ms"}, {"half_open_max_calls", 3}, {"tolerance", 0}},
        nlohmann::json{{"profile", "polly"}, {"window_duration", "1s"}, {"minimum_calls", 20},
                       {"failure_rate_threshold", 50}, {"recovery_timeout", "50ms"}, {"tolerance", 0}}})
    bench_checker("breaker", breaker_history(events, section), section);
  for (const nlohmann::json& section :
       {nlohmann::json{{"profile", "faultline"}, {"max_attempts", 5}, {"jitter", "decorrelated"}, {"tolerance", 0}},
        nlohmann::json{{"profile", "cenkalti-backoff"}, {"base_delay", "10ms"}, {"max_delay", "1s"}, {"tolerance", 0}}})
    bench_checker("retry", retry_history(events, section), section);
  bench_checker("detector", bench::detector_history(events, 10),
                {{"detection_bound", "3s"}, {"recovery_bound", "3s"}});
  // EVENTS / 2 client ops (an invoke and a completion each).
  bench_checker("availability", availability_history(events / 2),
                {{"window", "1s"}, {"recovery_time", "2s"}, {"during", {{"partition", {{"success_rate", 0.5}}}}}});
  bench_replay();

  // The reference breaker alone: allow + record per call.
  reference::CircuitBreaker breaker;
  std::mt19937_64 rng(4);
  const std::size_t calls = 5'000'000;
  std::size_t permitted = 0;
  auto t0 = std::chrono::steady_clock::now();
  for (std::size_t i = 0; i < calls; ++i) {
    const Nanos t = static_cast<Nanos>(i) * 100'000;
    auto d = breaker.allow(t);
    if (d.permitted) {
      ++permitted;
      breaker.record(t, d.call, (rng() & 7) != 0);
    }
  }
  const double s = seconds_since(t0);
  std::printf("%-18s %10zu calls  %8.3fs %12.0f calls/s (%zu permitted)\n", "reference breaker", calls, s,
              static_cast<double>(calls) / s, permitted);
  return 0;
}
