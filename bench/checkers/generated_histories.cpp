#include "bench/checkers/generated_histories.h"

#include <algorithm>
#include <random>

#include "checkers/reference/circuit_breaker.h"
#include "checkers/reference/retry_policy.h"
#include "common/units.h"

namespace faultline::bench {
namespace {

using history::Event;

}  // namespace

void push(history::History& h, Nanos t, history::EventBody body) {
  Event e;
  e.time = t;
  e.index = h.events.size();
  e.body = std::move(body);
  h.events.push_back(std::move(e));
}

history::History breaker_history(std::size_t target, std::vector<std::string> nodes) {
  reference::BreakerConfig config;
  config.failure_threshold = 5;
  config.recovery_timeout = 50 * kMillisecond;
  return breaker_history(target, std::move(nodes), config);
}

// Breakers driven by the reference itself: bursts of failures trip them.
history::History breaker_history(std::size_t target, std::vector<std::string> nodes,
                                 const reference::BreakerConfig& config) {
  history::History h;
  h.nodes = std::move(nodes);
  std::mt19937_64 rng(1);
  std::vector<reference::CircuitBreaker> breakers(64, reference::CircuitBreaker(config));
  std::vector<std::string> names;
  for (int i = 0; i < 64; ++i) names.push_back("peer-" + std::to_string(i));
  Nanos t = 0;
  std::size_t b = 0;
  for (std::size_t i = 0; h.events.size() < target; ++i) {
    t += 10'000;
    b = rng() % breakers.size();
    const std::string& node = h.nodes[b % h.nodes.size()];
    breakers[b].set_listener([&](const reference::BreakerRecord& r) {
      history::BreakerEvent e;
      e.node = node;
      e.name = names[b];
      e.call = r.call;
      e.permitted = r.permitted;
      e.success = r.success;
      e.from = static_cast<history::BreakerState>(r.transition.from);
      e.to = static_cast<history::BreakerState>(r.transition.to);
      e.event = static_cast<history::BreakerEvent::Kind>(r.kind);
      push(h, r.time, e);
    });
    auto d = breakers[b].allow(t);
    const bool outage = (t / (200 * kMillisecond)) % 3 == 0;
    if (d.permitted) breakers[b].record(t, d.call, !(outage ? rng() % 10 < 8 : rng() % 10 == 0));
  }
  return h;
}

history::History retry_history(std::size_t target, std::vector<std::string> nodes) {
  reference::RetryConfig config;
  config.max_attempts = 5;
  config.jitter = reference::Jitter::kDecorrelated;
  return retry_history(target, std::move(nodes), config);
}

history::History retry_history(std::size_t target, std::vector<std::string> nodes,
                               const reference::RetryConfig& config) {
  history::History h;
  h.nodes = std::move(nodes);
  reference::RetryPolicy policy(config);
  std::mt19937_64 rng(2);
  Nanos t = 0;
  for (std::int64_t op = 0; h.events.size() < target; ++op) {
    reference::RetryRun run(policy, rng);
    Nanos at = t;
    std::int64_t attempt = 0;
    while (auto delay = run.next()) {
      at += *delay;
      const bool ok = rng() % 3 == 0;
      push(h, at, history::RetryEvent{h.nodes[static_cast<std::size_t>(op) % h.nodes.size()], op, attempt++, *delay, ok ? "success" : "failure"});
      run.report(ok ? reference::AttemptOutcome::kSuccess : reference::AttemptOutcome::kFailure);
      at += 1'000;
    }
    t += 10'000;
  }
  std::stable_sort(h.events.begin(), h.events.end(), [](const Event& a, const Event& b) { return a.time < b.time; });
  for (std::size_t i = 0; i < h.events.size(); ++i) h.events[i].index = i;
  return h;
}

// n nodes; a kill every 20s (declared dead 1s later, alive 1s after the
// restart), and in between a steady stream of alive heartbeats-turned-events
// and brief suspicions under a loss fault.
history::History detector_history(std::size_t target, int n) {
  history::History h;
  for (int i = 0; i < n; ++i) h.nodes.push_back("n" + std::to_string(i));
  push(h, 0, history::ClusterEvent{h.nodes});
  std::mt19937_64 rng(3);
  Nanos t = 0;
  int fault = 0;
  const Nanos kSecond = 1'000'000'000;
  while (h.events.size() < target) {
    const int victim = fault % n;
    const std::string id = "f" + std::to_string(fault++);
    history::FaultEvent start;
    start.id = id;
    start.fault = {{"kind", "kill"}};
    start.targets = {h.nodes[victim]};
    push(h, t + 5 * kSecond, start);
    for (int o = 0; o < n; ++o)
      if (o != victim) push(h, t + 6 * kSecond, history::DetectorEvent{h.nodes[o], h.nodes[victim], history::DetectorStatus::kDead, 0});
    history::FaultEvent end;
    end.phase = history::FaultEvent::Phase::kEnd;
    end.id = id;
    push(h, t + 10 * kSecond, end);
    for (int o = 0; o < n; ++o)
      if (o != victim) push(h, t + 11 * kSecond, history::DetectorEvent{h.nodes[o], h.nodes[victim], history::DetectorStatus::kAlive, 0});
    // Loss on one node from 12s to 19s: suspicions (mistakes) and refutations.
    history::FaultEvent loss;
    loss.id = id + "-loss";
    loss.fault = {{"kind", "loss"}, {"percent", 20}};
    loss.targets = {h.nodes[(victim + 1) % n]};
    push(h, t + 12 * kSecond, loss);
    for (Nanos at = t + 12 * kSecond + 1000; at < t + 19 * kSecond && h.events.size() < target; at += 20'000) {
      // suspicions of the node under loss: mistakes, not violations
      const int s = (victim + 1) % n;
      int o = static_cast<int>(rng() % n);
      if (o == s) o = (o + 1) % n;
      push(h, at, history::DetectorEvent{h.nodes[o], h.nodes[s], history::DetectorStatus::kSuspect, 0});
      push(h, at + 5'000, history::DetectorEvent{h.nodes[o], h.nodes[s], history::DetectorStatus::kAlive, 0});
    }
    history::FaultEvent loss_end;
    loss_end.phase = history::FaultEvent::Phase::kEnd;
    loss_end.id = id + "-loss";
    push(h, t + 19 * kSecond, loss_end);
    t += 20 * kSecond;
  }
  return h;
}

}  // namespace faultline::bench
