#include "checkers/reference/swim_simulation.h"

#include <limits>
#include <memory>
#include <queue>
#include <random>
#include <set>
#include <unordered_map>

#include "checkers/reference/swim.h"

namespace faultline::reference {

namespace {

constexpr Nanos kNever = std::numeric_limits<Nanos>::max();

struct Event {
  Nanos time = 0;
  int kind = 0;  // 0 crash, 1 delivery, 2 tick: crashes first at equal times
  std::uint64_t seq = 0;
  std::size_t node = 0;
  Message message;
};

struct PopsEarliestSwimEvent {
  bool operator()(const Event& a, const Event& b) const {
    if (a.time != b.time) return a.time > b.time;
    if (a.kind != b.kind) return a.kind > b.kind;
    return a.seq > b.seq;
  }
};

Result<void> validate(const SwimSimulationConfig& c) {
  if (c.nodes < 2) return invalid_input("swim simulation: nodes must be >= 2");
  if (c.loss < 0.0 || c.loss > 1.0) return invalid_input("swim simulation: loss must be in [0, 1]");
  if (c.min_delay < 0 || c.max_delay < c.min_delay) {
    return invalid_input("swim simulation: delays need 0 <= min_delay <= max_delay");
  }
  if (c.duration <= 0) return invalid_input("swim simulation: duration must be > 0");
  std::set<std::size_t> seen;
  for (const auto& crash : c.crashes) {
    if (crash.node >= c.nodes) return invalid_input("swim simulation: crash node index out of range");
    if (crash.at < 0 || crash.at >= c.duration) return invalid_input("swim simulation: crash time outside the run");
    if (!seen.insert(crash.node).second) return invalid_input("swim simulation: node crashed twice");
  }
  return c.swim.validate();
}

}  // namespace

Result<SwimSimulationResult> run_swim_simulation(const SwimSimulationConfig& config) {
  if (auto r = validate(config); !r) return r.error();
  const std::size_t n = config.nodes;
  std::mt19937_64 net(config.seed);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  std::uniform_int_distribution<Nanos> delay(config.min_delay, config.max_delay);

  std::vector<std::string> names(n);
  std::unordered_map<std::string, std::size_t> index;
  for (std::size_t i = 0; i < n; ++i) {
    names[i] = "n" + std::to_string(i + 1);
    index[names[i]] = i;
  }
  std::vector<Nanos> crashed_at(n, kNever);
  for (const auto& crash : config.crashes) crashed_at[crash.node] = crash.at;

  SwimSimulationResult result;
  std::vector<std::size_t> crash_slot(n, SIZE_MAX);
  for (const auto& crash : config.crashes) {
    crash_slot[crash.node] = result.crashes.size();
    result.crashes.push_back(CrashReport{names[crash.node], crash.at, {}, {}, {}, 0, 0});
  }
  std::vector<bool> falsely_dead(n, false);

  std::vector<std::unique_ptr<SwimNode>> nodes;
  nodes.reserve(n);
  for (std::size_t i = 0; i < n; ++i) {
    auto node = std::make_unique<SwimNode>(names[i], config.swim, config.seed * 1'000'003 + i, 0);
    for (std::size_t j = 0; j < n; ++j) node->add_member(names[j]);
    node->set_listener([&, i](const StatusChange& change) {
      (void)i;
      std::size_t subject = index.at(change.subject);
      if (change.status == Status::kAlive) return;
      if (crashed_at[subject] <= change.time) {
        CrashReport& report = result.crashes[crash_slot[subject]];
        Nanos since = change.time - report.crashed_at;
        if (!report.first_detection) report.first_detection = since;
        if (change.status == Status::kDead && !report.first_dead) report.first_dead = since;
      } else if (change.status == Status::kSuspect) {
        ++result.false_suspicions;
      } else {
        ++result.false_deaths;
        falsely_dead[subject] = true;
      }
    });
    node->set_probe_listener([&](const std::string& target, bool success, Nanos now) {
      if (crashed_at[index.at(target)] <= now) return;
      ++result.live_probes;
      if (!success) ++result.failed_live_probes;
    });
    nodes.push_back(std::move(node));
  }

  std::priority_queue<Event, std::vector<Event>, PopsEarliestSwimEvent> queue;
  std::uint64_t seq = 0;
  std::vector<Nanos> scheduled(n, kNever);
  auto schedule = [&](std::size_t i, Nanos now) {
    Nanos next = std::max(nodes[i]->next_deadline(), now);
    if (next < scheduled[i]) {
      scheduled[i] = next;
      queue.push(Event{next, 2, ++seq, i, {}});
    }
  };
  auto transmit = [&](std::vector<Message>&& out, Nanos now) {
    for (auto& m : out) {
      ++result.messages_sent;
      if (config.loss > 0 && unit(net) < config.loss) {
        ++result.messages_dropped;
        continue;
      }
      auto to = index.find(m.to);
      if (to == index.end()) continue;
      Nanos at = now + delay(net);
      if (config.encode_messages) {
        auto decoded = decode(encode(m));
        if (!decoded) return Result<void>(decoded.error().with_context("swim simulation: wire format"));
        m = std::move(decoded.value());
      }
      queue.push(Event{at, 1, ++seq, to->second, std::move(m)});
    }
    return ok_result();
  };

  for (const auto& crash : config.crashes) queue.push(Event{crash.at, 0, ++seq, crash.node, {}});
  for (std::size_t i = 0; i < n; ++i) schedule(i, 0);

  while (!queue.empty()) {
    Event ev = queue.top();
    queue.pop();
    if (ev.time > config.duration) break;
    std::size_t i = ev.node;
    if (ev.kind == 0 || crashed_at[i] <= ev.time) continue;
    std::vector<Message> out;
    if (ev.kind == 2) {
      if (ev.time != scheduled[i]) continue;  // superseded
      scheduled[i] = kNever;
      out = nodes[i]->tick(ev.time);
    } else {
      out = nodes[i]->receive(ev.message, ev.time);
    }
    if (auto r = transmit(std::move(out), ev.time); !r) return r.error();
    schedule(i, ev.time);
  }

  for (std::size_t i = 0; i < n; ++i) {
    const SwimStats& s = nodes[i]->stats();
    result.probes += s.probes;
    result.failed_probes += s.failed_probes;
    result.refutations += s.refutations;
    result.gossip_messages += s.gossip_messages;
    if (crashed_at[i] == kNever) ++result.live_nodes;
    if (falsely_dead[i]) ++result.falsely_dead_nodes;
    if (crashed_at[i] != kNever) continue;
    for (std::size_t j = 0; j < n; ++j) {
      if (j == i || crashed_at[j] != kNever) continue;
      auto view = nodes[i]->member(names[j]);
      if (view && view->status == Status::kDead) ++result.dead_pairs_at_end;
    }
  }
  for (auto& report : result.crashes) {
    std::size_t subject = index.at(report.node);
    Nanos last = 0;
    for (std::size_t i = 0; i < n; ++i) {
      if (crashed_at[i] != kNever) continue;
      ++report.live_observers;
      auto view = nodes[i]->member(report.node);
      if (view && view->status == Status::kDead) {
        ++report.dead_by;
        last = std::max(last, view->since);
      }
    }
    (void)subject;
    if (report.live_observers > 0 && report.dead_by == report.live_observers) {
      report.all_dead = last - report.crashed_at;
    }
  }
  return result;
}

}  // namespace faultline::reference
