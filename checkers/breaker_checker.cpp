#include "checkers/breaker_checker.h"

#include <algorithm>
#include <deque>
#include <limits>
#include <unordered_map>

#include <fmt/format.h>

#include "checkers/config_reader.h"
#include "checkers/findings.h"
#include "checkers/not_configured.h"
#include "checkers/reference/breaker_profiles.h"
#include "checkers/reference/profile_lookup.h"

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
    // What the breaker does on its own by the end of the history; a transition
    // due within `tolerance` of the end may not be logged yet.
    const Nanos end = history_.end_time();
    for (const auto& t : ref_.advance(end)) expected_.push_back({t, stream_.events.size() - 1});
    while (!expected_.empty() && !observed_.empty()) {
      Pending exp = expected_.front(), obs = observed_.front();
      expected_.pop_front();
      observed_.pop_front();
      if (!same(exp, obs)) return mismatch(exp, obs);
    }
    while (!expected_.empty() && expected_.back().transition.time > end - config_.tolerance) expected_.pop_back();
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
      if (!same(exp, observed)) return mismatch(exp, observed);
      return std::nullopt;
    }
    // Logged before its cause (the call it admits, the result that trips it, a
    // timer the reference runs at the next event): the next call or result
    // must make it.
    observed_.push_back(observed);
    return std::nullopt;
  }

  std::optional<Divergence> on_call_or_result(std::size_t pos, const Event& e, const BreakerEvent& be) {
    if (!expected_.empty()) return missing(expected_.front(), pos);
    const BreakerStateKind before = ref_.state();
    std::vector<BreakerTransition> made;
    if (be.event == BreakerEvent::Kind::kCall) {
      auto decision = decide(e.time, be);
      made = std::move(decision.transitions);
      if (decision.permitted != be.permitted) {
        // A transition the history logged before this call that the reference
        // does not make is the first divergence, not the decision it explains.
        // (An early open->half_open is best told as the call it admits.)
        if (observed_.size() > made.size()) {
          const auto& t = observed_[made.size()].transition;
          if (!(t.from == BreakerStateKind::kOpen && t.to == BreakerStateKind::kHalfOpen))
            return unexpected(observed_[made.size()]);
        }
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
      auto outcome = ref_.record(result_time(e.time), be.call, be.success);
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
      made = std::move(outcome.transitions);
    }
    for (const auto& t : made) expected_.push_back({t, pos});
    while (!expected_.empty() && !observed_.empty()) {
      Pending exp = expected_.front(), obs = observed_.front();
      expected_.pop_front();
      observed_.pop_front();
      if (!same(exp, obs)) return mismatch(exp, obs);
    }
    if (!observed_.empty()) return unexpected(observed_.front());
    return std::nullopt;
  }

  static bool same(const Pending& a, const Pending& b) {
    return a.transition.from == b.transition.from && a.transition.to == b.transition.to;
  }

  // When a result is replayed. A breaker that turns half_open at any access
  // (gobreaker) does so at a result too; within `tolerance` of the boundary the
  // reference follows the history: past it only if the history already shows
  // the open->half_open.
  Nanos result_time(Nanos now) const {
    const auto& c = config_.breaker;
    if (ref_.state() != BreakerStateKind::kOpen || c.half_open_entry != reference::HalfOpenEntry::kOnAccess ||
        config_.tolerance <= 0)
      return now;
    const Nanos boundary = ref_.reopen_time();
    const Nanos distance = now > boundary ? now - boundary : boundary - now;
    if (distance > config_.tolerance) return now;
    const bool shown = std::any_of(observed_.begin(), observed_.end(), [](const Pending& p) {
      return p.transition.from == BreakerStateKind::kOpen && p.transition.to == BreakerStateKind::kHalfOpen;
    });
    return shown ? std::max(now, boundary) : std::min(now, boundary - 1);
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
    auto parsed = parse_breaker_config(options.config);
    if (!parsed) return parsed.error();
    if (!*parsed) return not_configured("breaker", "no policy configured: give a `breaker` section naming a profile (" + breaker_profile_names() + ")");
    const auto config = &**parsed;

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

    CheckResult r;
    r.valid = found.empty() ? Validity::kValid : Validity::kInvalid;
    nlohmann::json policy = breaker_config_json(*config);
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
      r.text = fmt::format("breaker: INVALID: {} of {} breaker(s) diverge from the reference ({} profile)",
                           found.size(), streams.size(), config->profile);
      for (std::size_t i = 0; i < found.size() && i < 10; ++i)
        r.text += fmt::format("\n  {}/{}: {}", found[i].stream->node, found[i].stream->name, found[i].d.message);
    }
    return r;
  }
};

}  // namespace

namespace {

// Reads an enum knob by its to_string() names.
template <typename Enum, std::size_t N>
Enum enum_knob(ConfigReader& c, const char* field, Enum fallback, const Enum (&values)[N], std::optional<Error>& error) {
  const std::string text = c.string(field, reference::to_string(fallback));
  std::string names;
  for (Enum v : values) {
    if (text == reference::to_string(v)) return v;
    names += names.empty() ? reference::to_string(v) : std::string(", ") + reference::to_string(v);
  }
  if (!error) error = invalid_input(fmt::format("config breaker.{}: must be one of {}, got \"{}\"", field, names, text));
  return fallback;
}

}  // namespace

nlohmann::json breaker_config_json(const BreakerCheckConfig& config) {
  const auto& b = config.breaker;
  nlohmann::json j{{"profile", config.profile},
                   {"policy", reference::to_string(b.policy)},
                   {"recovery_timeout", describe_time(b.recovery_timeout)},
                   {"recovery_inclusive", b.recovery_inclusive},
                   {"half_open_entry", reference::to_string(b.half_open_entry)},
                   {"half_open_limit", reference::to_string(b.half_open_limit)},
                   {"half_open_max_calls", b.half_open_max_calls},
                   {"half_open_verdict", reference::to_string(b.half_open_verdict)},
                   {"stale_results", reference::to_string(b.stale_results)},
                   {"results_in_open", reference::to_string(b.results_in_open)},
                   {"tolerance", describe_time(config.tolerance)}};
  if (b.policy == reference::BreakerPolicy::kConsecutive) {
    j["failure_threshold"] = b.failure_threshold;
  } else {
    if (b.policy == reference::BreakerPolicy::kRate) j["window_size"] = b.window_size;
    if (b.policy == reference::BreakerPolicy::kTime) {
      j["window_duration"] = describe_time(b.window_duration);
      j["window_buckets"] = b.window_buckets;
    }
    j["minimum_calls"] = b.minimum_calls;
    j["failure_rate_threshold"] = b.failure_rate_threshold;
    j["window_failure_threshold"] = b.window_failure_threshold;
  }
  if (b.slow_call_duration > 0) {
    j["slow_call_duration"] = describe_time(b.slow_call_duration);
    j["slow_call_rate_threshold"] = b.slow_call_rate_threshold;
  }
  if (b.closed_interval > 0) j["closed_interval"] = describe_time(b.closed_interval);
  if (b.half_open_verdict == reference::HalfOpenVerdict::kCount) {
    j["success_threshold"] = b.success_threshold;
    j["half_open_failure_threshold"] = b.half_open_failure_threshold;
  }
  if (b.half_open_max_wait > 0) j["half_open_max_wait"] = describe_time(b.half_open_max_wait);
  return j;
}

Result<std::optional<BreakerCheckConfig>> parse_breaker_config(const nlohmann::json& section) {
  if (!section.is_object() || section.empty()) return std::optional<BreakerCheckConfig>{};
  BreakerCheckConfig out;
  if (section.contains("profile") && section["profile"].is_string()) out.profile = section["profile"].get<std::string>();
  if (out.profile.empty())
    return invalid_input("config breaker: no profile (name the library the system uses: " + breaker_profile_names() + ")");
  auto profile = reference::breaker_profile(out.profile);
  if (!profile) return invalid_input("config " + profile.error().message);
  auto named = reference::with_knob_names(*profile, section, "breaker");
  if (!named) return named.error();
  ConfigReader c(*named, "breaker");
  c.ignore("profile");
  out.breaker = profile->config;
  auto& b = out.breaker;
  std::optional<Error> error;
  using namespace reference;
  b.policy = enum_knob(c, "policy", b.policy, {BreakerPolicy::kConsecutive, BreakerPolicy::kRate, BreakerPolicy::kTime}, error);
  b.failure_threshold = static_cast<int>(c.integer("failure_threshold", b.failure_threshold, 1, 1'000'000));
  b.window_size = static_cast<int>(c.integer("window_size", b.window_size, 1, 1'000'000));
  b.window_duration = c.duration("window_duration", b.window_duration, 1);
  b.window_buckets = static_cast<int>(c.integer("window_buckets", b.window_buckets, 0, 1'000'000));
  b.minimum_calls = static_cast<int>(c.integer("minimum_calls", b.minimum_calls, 0, 1'000'000));
  b.failure_rate_threshold = c.number("failure_rate_threshold", b.failure_rate_threshold, 0, 100);
  b.window_failure_threshold = static_cast<int>(c.integer("window_failure_threshold", b.window_failure_threshold, 0, 1'000'000));
  b.slow_call_rate_threshold = c.number("slow_call_rate_threshold", b.slow_call_rate_threshold, 1e-9, 100);
  b.slow_call_duration = c.duration("slow_call_duration", b.slow_call_duration);
  b.closed_interval = c.duration("closed_interval", b.closed_interval);
  b.recovery_timeout = c.duration("recovery_timeout", b.recovery_timeout);
  b.recovery_inclusive = c.boolean("recovery_inclusive", b.recovery_inclusive);
  b.half_open_entry = enum_knob(c, "half_open_entry", b.half_open_entry, {HalfOpenEntry::kOnCall, HalfOpenEntry::kOnAccess, HalfOpenEntry::kTimer}, error);
  b.results_in_open = enum_knob(c, "results_in_open", b.results_in_open, {OpenResults::kIgnore, OpenResults::kCount}, error);
  b.half_open_limit = enum_knob(c, "half_open_limit", b.half_open_limit, {HalfOpenLimit::kInFlight, HalfOpenLimit::kPerState, HalfOpenLimit::kUnlimited}, error);
  b.half_open_max_calls = static_cast<int>(c.integer("half_open_max_calls", b.half_open_max_calls, 1, 1'000'000));
  b.half_open_verdict = enum_knob(c, "half_open_verdict", b.half_open_verdict, {HalfOpenVerdict::kCount, HalfOpenVerdict::kRate}, error);
  b.success_threshold = static_cast<int>(c.integer("success_threshold", b.success_threshold, 1, 1'000'000));
  b.half_open_failure_threshold = static_cast<int>(c.integer("half_open_failure_threshold", b.half_open_failure_threshold, 1, 1'000'000));
  b.half_open_max_wait = c.duration("half_open_max_wait", b.half_open_max_wait);
  b.stale_results = enum_knob(c, "stale_results", b.stale_results, {StaleResults::kIgnore, StaleResults::kCount}, error);
  // gobreaker's MaxRequests: admitted per half-open state and successes to close.
  if (c.has("max_requests")) {
    const int n = static_cast<int>(c.integer("max_requests", 1, 1, 1'000'000));
    b.half_open_max_calls = n;
    b.success_threshold = n;
  }
  out.tolerance = c.duration("tolerance", out.tolerance);
  if (error) return *error;
  if (auto done = c.finish(); !done) return done.error();
  if (auto valid = reference::validate(b); !valid) return invalid_input("config " + valid.error().message);
  return std::optional<BreakerCheckConfig>(std::move(out));
}

std::string breaker_profile_names() { return reference::profile_names(reference::breaker_profiles()); }

std::unique_ptr<Checker> make_breaker_checker() { return std::make_unique<BreakerChecker>(); }

}  // namespace faultline::checkers
