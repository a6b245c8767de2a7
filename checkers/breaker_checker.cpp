#include "checkers/breaker_checker.h"

#include <algorithm>
#include <deque>
#include <limits>
#include <unordered_map>

#include <fmt/format.h>

#include "checkers/config_reader.h"
#include "checkers/findings.h"

namespace faultline::checkers {
namespace {

using history::BreakerEvent;
using history::Event;
using reference::BreakerStateKind;
using reference::BreakerTransition;
using reference::CircuitBreaker;

BreakerStateKind to_reference(history::BreakerState s) {
  switch (s) {
    case history::BreakerState::kClosed: return BreakerStateKind::kClosed;
    case history::BreakerState::kOpen: return BreakerStateKind::kOpen;
    case history::BreakerState::kHalfOpen: return BreakerStateKind::kHalfOpen;
  }
  return BreakerStateKind::kClosed;
}

std::string describe(const BreakerTransition& t) {
  return fmt::format("{}->{}", reference::to_string(t.from), reference::to_string(t.to));
}

struct Pending {
  BreakerTransition transition;
  std::size_t pos = 0;  // position in the stream of the event that caused/showed it
};

struct Stream {
  std::string node;
  std::string name;
  std::vector<std::size_t> events;  // indices into history.events
};

// A `kill` of a node, from its start to its end (or the history's end): its
// process dies in there, and the one restarted at the end has fresh breakers.
struct KillWindow {
  Nanos start = 0;
  Nanos end = std::numeric_limits<Nanos>::max();
};

// Every node's kill windows, in start order.
std::unordered_map<std::string, std::vector<KillWindow>> kill_windows(const history::History& h) {
  std::unordered_map<std::string, std::vector<KillWindow>> out;
  std::unordered_map<std::string, std::vector<std::pair<std::string, std::size_t>>> open;  // fault id -> (node, index)
  for (const Event& e : h.events) {
    const auto* f = std::get_if<history::FaultEvent>(&e.body);
    if (!f) continue;
    if (f->phase == history::FaultEvent::Phase::kStart) {
      if (f->kind() != "kill" || open.count(f->id)) continue;
      auto& targets = open[f->id];
      for (const auto& node : f->targets) {
        out[node].push_back(KillWindow{e.time});
        targets.emplace_back(node, out[node].size() - 1);
      }
    } else if (auto it = open.find(f->id); it != open.end()) {
      for (const auto& [node, index] : it->second) out[node][index].end = e.time;
      open.erase(it);
    }
  }
  return out;
}

struct Divergence {
  std::size_t pos = 0;
  std::string kind;  // decision, result, transition
  std::string expected;
  std::string actual;
  std::string message;
  BreakerStateKind state = BreakerStateKind::kClosed;
};

class Replay {
 public:
  Replay(const history::History& h, const Stream& s, const BreakerCheckConfig& c, std::size_t& boundary_calls,
         const std::vector<KillWindow>* kills)
      : history_(h), stream_(s), config_(c), ref_(c.breaker), boundary_calls_(boundary_calls), kills_(kills) {}

  std::optional<Divergence> run() {
    std::size_t kill = 0;           // the next kill window not yet over
    bool restarted_in_kill = false;  // a fresh breaker already took over inside it
    for (std::size_t pos = 0; pos < stream_.events.size(); ++pos) {
      const Event& e = history_.events[stream_.events[pos]];
      const auto& be = std::get<BreakerEvent>(e.body);
      // A kill that ended before this event: the process that logs it is the
      // restarted one, with fresh breakers (unless they took over earlier).
      while (kills_ && kill < kills_->size() && (*kills_)[kill].end <= e.time) {
        if (!restarted_in_kill) restart();
        restarted_in_kill = false;
        ++kill;
      }
      const bool in_kill = kills_ && kill < kills_->size() && (*kills_)[kill].start <= e.time;
      std::optional<Divergence> d = replay_event(pos, e, be);
      // Inside a kill the event may come from the dying process or from the
      // one restarted before the kill's end was logged: the first event the
      // old breaker cannot explain is replayed on a fresh one.
      if (d && in_kill && !restarted_in_kill) {
        restart();
        restarted_in_kill = true;
        d = replay_event(pos, e, be);
      }
      if (d) return d;
    }
    if (!expected_.empty()) return missing(expected_.front(), stream_.events.size());
    if (!observed_.empty()) return unexpected(observed_.front());
    return std::nullopt;
  }

 private:
  std::optional<Divergence> replay_event(std::size_t pos, const Event& e, const BreakerEvent& be) {
    if (be.event == BreakerEvent::Kind::kTransition) return on_transition(pos, e, be);
    return on_call_or_result(pos, e, be);
  }

  // The node's process was killed: its breaker starts again, closed, and
  // nothing the dead one owed (transitions, results) is expected any more.
  void restart() {
    ref_ = CircuitBreaker(config_.breaker);
    expected_.clear();
    observed_.clear();
  }

  std::optional<Divergence> on_transition(std::size_t pos, const Event&, const BreakerEvent& be) {
    Pending observed{{to_reference(be.from), to_reference(be.to)}, pos};
    if (!expected_.empty()) {
      Pending exp = expected_.front();
      expected_.pop_front();
      if (exp.transition.from != observed.transition.from || exp.transition.to != observed.transition.to)
        return mismatch(exp, observed);
      return std::nullopt;
    }
    // Only open->half_open may be logged before its cause (the call it admits).
    if (!(observed.transition.from == BreakerStateKind::kOpen && observed.transition.to == BreakerStateKind::kHalfOpen))
      return unexpected(observed);
    observed_.push_back(observed);
    return std::nullopt;
  }

  std::optional<Divergence> on_call_or_result(std::size_t pos, const Event& e, const BreakerEvent& be) {
    if (!expected_.empty()) return missing(expected_.front(), pos);
    const BreakerStateKind before = ref_.state();
    std::optional<BreakerTransition> made;
    if (be.event == BreakerEvent::Kind::kCall) {
      auto decision = decide(e.time, be);
      made = decision.transition;
      if (decision.permitted != be.permitted) {
        Divergence d;
        d.pos = pos;
        d.kind = "decision";
        d.state = before;
        d.expected = decision.permitted ? "permitted" : "rejected";
        d.actual = be.permitted ? "permitted" : "rejected";
        std::string why;
        if (before == BreakerStateKind::kOpen)
          why = fmt::format(" (open since {}, recovery_timeout {}: admits from {})", describe_time(ref_.opened_at()),
                            describe_time(config_.breaker.recovery_timeout), describe_time(ref_.reopen_time()));
        else if (before == BreakerStateKind::kHalfOpen)
          why = fmt::format(" ({} trial(s) in flight, half_open_max_calls {})", ref_.trials_in_flight(),
                            config_.breaker.half_open_max_calls);
        d.message = fmt::format("call {} at {} ({}): the history {} it but the reference breaker, {}{}, {} it", be.call,
                                describe_time(e.time), describe_line(e), d.actual, reference::to_string(before), why,
                                d.expected);
        return d;
      }
    } else {
      auto outcome = ref_.record(e.time, be.call, be.success);
      if (!outcome.known) {
        Divergence d;
        d.pos = pos;
        d.kind = "result";
        d.state = before;
        d.expected = "no result (call not in flight)";
        d.actual = be.success ? "success" : "failure";
        d.message = fmt::format("result of call {} at {} ({}): the call was never permitted or already has a result",
                                be.call, describe_time(e.time), describe_line(e));
        return d;
      }
      made = outcome.transition;
    }
    if (made) expected_.push_back({*made, pos});
    while (!expected_.empty() && !observed_.empty()) {
      Pending exp = expected_.front(), obs = observed_.front();
      expected_.pop_front();
      observed_.pop_front();
      if (exp.transition.from != obs.transition.from || exp.transition.to != obs.transition.to)
        return mismatch(exp, obs);
    }
    if (!observed_.empty()) return unexpected(observed_.front());
    return std::nullopt;
  }

  // The reference decision for a call; near the recovery-timeout boundary the
  // reference follows the history.
  CircuitBreaker::Decision decide(Nanos now, const BreakerEvent& be) {
    if (ref_.state() == BreakerStateKind::kOpen && config_.tolerance > 0) {
      const Nanos boundary = ref_.reopen_time();
      const Nanos distance = now > boundary ? now - boundary : boundary - now;
      if (distance <= config_.tolerance) {
        CircuitBreaker snapshot = ref_;
        auto d = ref_.allow(now, be.call);
        if (d.permitted == be.permitted) return d;
        ++boundary_calls_;
        ref_ = std::move(snapshot);
        return ref_.allow(be.permitted ? std::max(now, boundary) : boundary - 1, be.call);
      }
    }
    return ref_.allow(now, be.call);
  }

  Divergence mismatch(const Pending& exp, const Pending& obs) {
    Divergence d;
    d.pos = obs.pos;
    d.kind = "transition";
    d.state = ref_.state();
    d.expected = describe(exp.transition);
    d.actual = describe(obs.transition);
    const Event& e = history_.events[stream_.events[obs.pos]];
    d.message = fmt::format("transition at {} ({}): the history shows {} but the reference breaker goes {}",
                            describe_time(e.time), describe_line(e), d.actual, d.expected);
    return d;
  }

  Divergence missing(const Pending& exp, std::size_t next_pos) {
    Divergence d;
    d.pos = exp.pos;
    d.kind = "transition";
    d.state = ref_.state();
    d.expected = describe(exp.transition);
    d.actual = "no transition";
    const Event& cause = history_.events[stream_.events[exp.pos]];
    std::string until = next_pos < stream_.events.size()
                            ? fmt::format("before {}", describe_line(history_.events[stream_.events[next_pos]]))
                            : std::string("by the end of the history");
    d.message = fmt::format("at {} ({}) the reference breaker goes {} but the history shows no such transition {}",
                            describe_time(cause.time), describe_line(cause), d.expected, until);
    return d;
  }

  Divergence unexpected(const Pending& obs) {
    Divergence d;
    d.pos = obs.pos;
    d.kind = "transition";
    d.state = ref_.state();
    d.expected = "no transition";
    d.actual = describe(obs.transition);
    const Event& e = history_.events[stream_.events[obs.pos]];
    d.message = fmt::format("transition at {} ({}): the history shows {} but the reference breaker, {}, makes none there",
                            describe_time(e.time), describe_line(e), d.actual, reference::to_string(ref_.state()));
    return d;
  }

  const history::History& history_;
  const Stream& stream_;
  const BreakerCheckConfig& config_;
  CircuitBreaker ref_;
  std::size_t& boundary_calls_;
  std::deque<Pending> expected_;  // made by the reference, not yet seen in the history
  std::deque<Pending> observed_;  // seen in the history, not yet made by the reference
  const std::vector<KillWindow>* kills_;  // this node's, or null
};

class BreakerChecker : public Checker {
 public:
  std::string name() const override { return "breaker"; }

  bool applies(const history::History& h) const override {
    return std::any_of(h.events.begin(), h.events.end(),
                       [](const Event& e) { return std::holds_alternative<BreakerEvent>(e.body); });
  }

  Result<CheckResult> check(const history::History& h, const CheckOptions& options) override {
    auto config = parse_breaker_config(options.config);
    if (!config) return config.error();

    std::vector<Stream> streams;
    std::unordered_map<std::string, std::size_t> by_key;
    std::string key;
    std::size_t calls = 0, results = 0, transitions = 0;
    for (std::size_t i = 0; i < h.events.size(); ++i) {
      const auto* be = std::get_if<BreakerEvent>(&h.events[i].body);
      if (!be) continue;
      key.assign(be->node);
      key.push_back('\x1f');
      key.append(be->name);
      auto it = by_key.find(key);
      if (it == by_key.end()) {
        it = by_key.emplace(key, streams.size()).first;
        streams.push_back(Stream{be->node, be->name, {}});
      }
      streams[it->second].events.push_back(i);
      switch (be->event) {
        case BreakerEvent::Kind::kCall: ++calls; break;
        case BreakerEvent::Kind::kResult: ++results; break;
        case BreakerEvent::Kind::kTransition: ++transitions; break;
      }
    }

    if (options.deadline > 0 && monotonic_now() > options.deadline) {
      CheckResult r;
      r.valid = Validity::kUnknown;
      r.findings = {{"valid", "unknown"}, {"reason", "timed out before the replay started"}};
      r.text = "breaker: unknown (timed out)";
      return r;
    }
    std::size_t boundary_calls = 0;
    struct Found {
      const Stream* stream;
      Divergence d;
    };
    std::vector<Found> found;
    const auto kills = kill_windows(h);
    for (std::size_t s = 0; s < streams.size(); ++s) {
      if (options.deadline > 0 && monotonic_now() > options.deadline) {
        CheckResult r;
        r.valid = Validity::kUnknown;
        r.findings = {{"valid", "unknown"}, {"reason", fmt::format("timed out after {} of {} breakers", s, streams.size())}};
        r.text = "breaker: unknown (timed out)";
        return r;
      }
      auto node_kills = kills.find(streams[s].node);
      Replay replay(h, streams[s], *config, boundary_calls, node_kills == kills.end() ? nullptr : &node_kills->second);
      if (auto d = replay.run()) found.push_back({&streams[s], std::move(*d)});
    }
    auto event_time = [&](const Found& f) {
      const auto& ev = f.stream->events;
      return h.events[ev[std::min(f.d.pos, ev.size() - 1)]].index;
    };
    std::sort(found.begin(), found.end(), [&](const Found& a, const Found& b) { return event_time(a) < event_time(b); });

    const auto& b = config->breaker;
    CheckResult r;
    r.valid = found.empty() ? Validity::kValid : Validity::kInvalid;
    nlohmann::json policy{{"policy", reference::to_string(b.policy)},
                          {"recovery_timeout", describe_time(b.recovery_timeout)},
                          {"half_open_max_calls", b.half_open_max_calls},
                          {"success_threshold", b.success_threshold},
                          {"tolerance", describe_time(config->tolerance)}};
    if (b.policy == reference::BreakerPolicy::kConsecutive) {
      policy["failure_threshold"] = b.failure_threshold;
    } else {
      policy["window_size"] = b.window_size;
      policy["minimum_calls"] = b.minimum_calls;
      policy["failure_rate_threshold"] = b.failure_rate_threshold;
    }
    nlohmann::json divergences = nlohmann::json::array();
    for (std::size_t i = 0; i < found.size() && i < kMaxListed; ++i) {
      const auto& f = found[i];
      const auto& ev = f.stream->events;
      const std::size_t pos = std::min(f.d.pos, ev.size() - 1);
      const Event& e = h.events[ev[pos]];
      nlohmann::json context = nlohmann::json::array();
      const std::size_t from = pos >= 3 ? pos - 3 : 0, to = std::min(ev.size(), pos + 3);
      for (std::size_t p = from; p < to; ++p) context.push_back(event_json(h.events[ev[p]]));
      nlohmann::json d{{"breaker", f.stream->node + "/" + f.stream->name},
                       {"node", f.stream->node},
                       {"name", f.stream->name},
                       {"kind", f.d.kind},
                       {"time", e.time},
                       {"expected", f.d.expected},
                       {"actual", f.d.actual},
                       {"reference_state", reference::to_string(f.d.state)},
                       {"message", f.d.message},
                       {"context", std::move(context)}};
      if (e.line > 0) d["line"] = e.line;
      divergences.push_back(std::move(d));
    }
    r.findings = {{"valid", to_json(r.valid)},
                  {"config", policy},
                  {"breakers", streams.size()},
                  {"calls", calls},
                  {"results", results},
                  {"transitions", transitions},
                  {"boundary_calls", boundary_calls},
                  {"divergence_count", found.size()},
                  {"divergences", std::move(divergences)}};
    if (found.empty()) {
      r.text = fmt::format("breaker: valid ({} breaker(s), {} calls, {} results, {} transitions replayed)",
                           streams.size(), calls, results, transitions);
    } else {
      r.text = fmt::format("breaker: INVALID: {} of {} breaker(s) diverge from the reference ({} policy)",
                           found.size(), streams.size(), reference::to_string(b.policy));
      for (std::size_t i = 0; i < found.size() && i < 10; ++i)
        r.text += fmt::format("\n  {}/{}: {}", found[i].stream->node, found[i].stream->name, found[i].d.message);
    }
    return r;
  }
};

}  // namespace

Result<BreakerCheckConfig> parse_breaker_config(const nlohmann::json& section) {
  ConfigReader c(section, "breaker");
  BreakerCheckConfig out;
  auto& b = out.breaker;
  const std::string policy = c.string("policy", "consecutive");
  if (policy == "consecutive") b.policy = reference::BreakerPolicy::kConsecutive;
  else if (policy == "rate") b.policy = reference::BreakerPolicy::kRate;
  else return invalid_input(fmt::format("config breaker.policy: must be consecutive or rate, got \"{}\"", policy));
  b.failure_threshold = static_cast<int>(c.integer("failure_threshold", b.failure_threshold, 1, 1'000'000));
  b.window_size = static_cast<int>(c.integer("window_size", b.window_size, 1, 1'000'000));
  b.minimum_calls = static_cast<int>(c.integer("minimum_calls", b.minimum_calls, 1, 1'000'000));
  b.failure_rate_threshold = c.number("failure_rate_threshold", b.failure_rate_threshold, 1e-9, 100);
  b.recovery_timeout = c.duration("recovery_timeout", b.recovery_timeout);
  b.half_open_max_calls = static_cast<int>(c.integer("half_open_max_calls", b.half_open_max_calls, 1, 1'000'000));
  b.success_threshold = static_cast<int>(c.integer("success_threshold", b.success_threshold, 1, 1'000'000));
  out.tolerance = c.duration("tolerance", out.tolerance);
  if (auto done = c.finish(); !done) return done.error();
  if (auto valid = reference::validate(b); !valid) return valid.error();
  return out;
}

std::unique_ptr<Checker> make_breaker_checker() { return std::make_unique<BreakerChecker>(); }

}  // namespace faultline::checkers
