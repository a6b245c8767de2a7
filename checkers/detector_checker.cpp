#include "checkers/detector_checker.h"

#include <algorithm>
#include <limits>
#include <optional>
#include <set>

#include <fmt/format.h>

#include "checkers/detector_config.h"
#include "checkers/detector_envelope.h"
#include "checkers/findings.h"
#include "checkers/ground_truth.h"
#include "checkers/not_configured.h"

namespace faultline::checkers {
namespace {

using history::DetectorEvent;
using history::DetectorStatus;
using history::Event;
using history::FaultEvent;

constexpr Nanos kNever = std::numeric_limits<Nanos>::max();

struct DegradedWindow {
  std::string id;     // "f3"
  std::string label;  // "f3 (delay)"
  Nanos start = 0;
  Nanos end = kNever;
  std::vector<int> targets;  // empty = every pair
  std::vector<std::pair<int, int>> pairs;  // non-empty: only these pairs (either way round)

  bool touches(int o, int s) const {
    if (!pairs.empty())
      return std::find_if(pairs.begin(), pairs.end(), [&](const auto& p) {
               return (p.first == o && p.second == s) || (p.first == s && p.second == o);
             }) != pairs.end();
    return targets.empty() ||
           std::find_if(targets.begin(), targets.end(), [&](int t) { return t == o || t == s; }) != targets.end();
  }
};

enum class Obligation : std::uint8_t { kNone, kDetect, kRecover };
using Phase = PairPhase;

struct Pair {
  DetectorStatus declared = DetectorStatus::kAlive;
  Phase phase = Phase::kReachable;
  Nanos phase_since = 0;
  Obligation obligation = Obligation::kNone;
  Nanos deadline = 0;
  Nanos obligation_start = 0;
  std::string cause;  // why unreachable (for messages)
  std::string recover_from = "it becoming reachable again";  // what started the recovery obligation
  // QoS accumulators
  Nanos last = 0;
  Nanos reach_time = 0;
  Nanos trust_time = 0;
  bool in_mistake = false;
  bool mistake_judged = false;
  Nanos mistake_start = 0;
  const Event* mistake_event = nullptr;
  std::uint32_t mistakes = 0;
  Nanos mistake_time = 0;
  std::uint32_t closed_mistakes = 0;
  Nanos first_mistake = 0;
  Nanos last_mistake = 0;
  Nanos suspect_since = -1;  // start of the current suspicion during unreachability
  std::uint32_t detections = 0;
  std::uint32_t undetected = 0;
  Nanos td_sum = 0;
  Nanos td_max = 0;
  // Replay mode: what the reference allows, for messages and the figures.
  std::string reference;            // the current obligation's reference range
  Nanos mistake_deadline = kNever;  // the current mistake may last until then
  std::string mistake_reference;
  int row = -1;                     // figures_ row of the current detection/recovery
  int mistake_row = -1;
};

bool suspecting(DetectorStatus s) { return s != DetectorStatus::kAlive; }

reference::Status to_reference(DetectorStatus s) {
  return s == DetectorStatus::kAlive ? reference::Status::kAlive
         : s == DetectorStatus::kSuspect ? reference::Status::kSuspect
                                         : reference::Status::kDead;
}

// Kinds the replay models (detector_envelope.h); the others stay "degraded".
bool modelled_kind(const std::string& kind) {
  return kind == "delay" || kind == "loss" || kind == "blackhole-out" || kind == "kill" || kind == "pause" ||
         kind == "partition";
}

constexpr std::size_t kMaxFigures = 5000;
const char* const kMatched[] = {"pair", "symmetric pair", "other pair", "pair, near in time", "other pair, near in time"};

class DetectorRun {
 public:
  DetectorRun(const history::History& h, const DetectorConfig& config)
      : h_(h), cfg_(config), strict_(config.strict_accuracy), degraded_kinds_(config.degraded_kinds) {
    bounds_.detection_bound = config.detection_bound.value_or(0);
    bounds_.recovery_bound = config.recovery_bound.value_or(0);
    detected_ = config.detected == reference::Status::kDead ? DetectorStatus::kDead : DetectorStatus::kSuspect;
  }

  Result<CheckResult> run(Nanos deadline) {
    index_nodes();
    if (cfg_.profile) {
      EnvelopeOptions eo;
      eo.profile = *cfg_.profile;
      eo.reports = cfg_.reports;
      eo.trials = cfg_.trials;
      eo.degraded_kinds = degraded_kinds_;
      eo.deadline = deadline;
      const Nanos t0 = monotonic_now();
      auto env = DetectorEnvelope::build(h_, nodes_, eo);
      if (!env && env.error().code == ErrorCode::kTimeout) {
        CheckResult r;
        r.valid = Validity::kUnknown;
        r.findings = {{"valid", "unknown"}, {"reason", env.error().message}};
        r.text = "detector: unknown (" + env.error().message + ")";
        return r;
      }
      if (!env) return env.error();
      replay_wall_ = monotonic_now() - t0;
      env_ = std::move(env).value();
      if (deadline > 0 && monotonic_now() > deadline) return timed_out(0);
    }
    collect_degraded();
    const int n = nodes_.size();
    pairs_.assign(static_cast<std::size_t>(n) * n, Pair{});
    GroundTruth truth(nodes_, degraded_kinds_);
    truth_ = &truth;
    std::vector<char> was_up(static_cast<std::size_t>(n), 1);
    std::vector<char> was_reach(static_cast<std::size_t>(n) * n, 1);
    std::size_t detector_events = 0;

    for (std::size_t i = 0; i < h_.events.size(); ++i) {
      const Event& e = h_.events[i];
      if ((i & 0xffff) == 0 && deadline > 0 && monotonic_now() > deadline) return timed_out(i);
      if (const auto* d = std::get_if<DetectorEvent>(&e.body)) {
        ++detector_events;
        const int o = nodes_.find(d->node), s = nodes_.find(d->subject);
        if (o == s) continue;  // a node's view of itself is not judged
        if (!cfg_.reports.count(to_reference(d->status))) {
          ++unreported_;  // a status the config says the service does not report
          continue;
        }
        on_verdict(pair(o, s), o, s, e, d->status);
      } else if (const auto* f = std::get_if<FaultEvent>(&e.body)) {
        truth.apply(e);
        std::vector<char> restarted(static_cast<std::size_t>(n), 0);
        for (int r : truth.restarted()) restarted[static_cast<std::size_t>(r)] = 1;
        for (int o = 0; o < n; ++o) {
          const bool up = truth.up(o);
          for (int s = 0; s < n; ++s) {
            if (o == s) continue;
            const std::size_t k = static_cast<std::size_t>(o) * n + s;
            const bool reach = truth.reachable(o, s);
            if (reach == static_cast<bool>(was_reach[k]) && up == static_cast<bool>(was_up[o]) && !restarted[o]) continue;
            Phase next = !up ? Phase::kObserverDown : reach ? Phase::kReachable : Phase::kUnreachable;
            on_truth(pairs_[k], o, s, e.time, next, restarted[o] != 0);
            was_reach[k] = reach;
          }
          was_up[static_cast<std::size_t>(o)] = up;
        }
        if (f->phase == FaultEvent::Phase::kEnd) on_degraded_end(f->id, e.time);
      }
    }
    const Nanos end = h_.end_time();
    for (int o = 0; o < n; ++o)
      for (int s = 0; s < n; ++s)
        if (o != s) finish(pair(o, s), o, s, end);
    return report(detector_events, truth.warnings());
  }

 private:
  Pair& pair(int o, int s) { return pairs_[static_cast<std::size_t>(o) * nodes_.size() + s]; }

  void index_nodes() {
    for (const auto& name : h_.nodes) nodes_.add(name);
    for (const auto& e : h_.events) {
      if (const auto* d = std::get_if<DetectorEvent>(&e.body)) {
        nodes_.add(d->node);
        nodes_.add(d->subject);
      } else if (const auto* f = std::get_if<FaultEvent>(&e.body)) {
        for (const auto& t : f->targets) nodes_.add(t);
        for (const auto& [a, bs] : f->grudge) {
          nodes_.add(a);
          for (const auto& b : bs) nodes_.add(b);
        }
      }
    }
  }

  void collect_degraded() {
    std::map<std::string, std::size_t> open;
    for (const auto& e : h_.events) {
      const auto* f = std::get_if<FaultEvent>(&e.body);
      if (!f) continue;
      if (f->phase == FaultEvent::Phase::kStart) {
        const std::string kind = f->kind();
        // A one-way grudge (a drops b, b does not drop a): a pair whose own
        // link works one way only, yet reachable the other way round
        // (through other nodes), is judged as degraded, with or without a
        // replay: a detector may or may not get through there, as the
        // reference's own probes may or may not. Without a replay every
        // pair touching such a node is (a third node's gossip carries the
        // cut node's suspicions); with one, only the one-way pairs
        // themselves: the others' mistakes are judged against the
        // reference, which replays the same one-way drops. Other kinds the
        // replay models are judged against it.
        std::vector<int> one_way;
        std::vector<std::pair<int, int>> one_way_pairs;
        if (kind == "partition")
          for (const auto& [a, dropped] : f->grudge)
            for (const auto& b : dropped) {
              auto back = f->grudge.find(b);
              if (back == f->grudge.end() || std::find(back->second.begin(), back->second.end(), a) == back->second.end()) {
                one_way.push_back(nodes_.find(a));
                one_way.push_back(nodes_.find(b));
                one_way_pairs.emplace_back(nodes_.find(a), nodes_.find(b));
              }
            }
        const bool degraded = (degraded_kinds_.count(kind) && !(env_ && modelled_kind(kind))) ||
                              (kind == "partition" && (f->grudge.empty() || !one_way.empty()));
        if (!degraded || open.count(f->id)) continue;
        DegradedWindow w{f->id, fmt::format("{} ({}{})", f->id, kind, one_way.empty() ? "" : ", one-way"), e.time,
                         kNever, {}, {}};
        for (const auto& t : f->targets) w.targets.push_back(nodes_.find(t));
        if (kind == "partition") w.targets = one_way;  // empty (every pair) for a partition without a grudge
        if (kind == "partition" && env_) w.pairs = one_way_pairs;
        open[f->id] = degraded_.size();
        degraded_.push_back(std::move(w));
      } else if (auto it = open.find(f->id); it != open.end()) {
        degraded_[it->second].end = e.time;
        open.erase(it);
      }
    }
  }

  // A degraded fault touching the pair during [lo, hi], or "".
  std::string degraded_during(int o, int s, Nanos lo, Nanos hi) const {
    for (const auto& w : degraded_) {
      if (w.start > hi || w.end < lo) continue;
      if (w.touches(o, s)) return w.label;
    }
    return "";
  }

  void accumulate(Pair& p, Nanos t) {
    if (t > p.last) {
      if (p.phase == Phase::kReachable) {
        p.reach_time += t - p.last;
        if (!suspecting(p.declared)) p.trust_time += t - p.last;
      }
      p.last = t;
    }
  }

  Nanos allowed(const ReferenceRange& r) const {
    return static_cast<Nanos>(static_cast<double>(r.max) * cfg_.margin) + cfg_.slack;
  }
  // A wrong verdict (a mistake, or a death not yet revoked) can outlast
  // every trial when the gossip that would end it misses the observer (a
  // tail K trials rarely sample): the protocol's anti-entropy round repairs
  // it, so it may last that long (x margin) too.
  Nanos repairable(Nanos reference_max) const {
    Nanos floor = 0;
    if (cfg_.profile && cfg_.profile->kind == "swim")
      floor = 2 * std::max(cfg_.profile->swim.push_pull_interval, cfg_.profile->swim.reconnect_interval);
    return static_cast<Nanos>(static_cast<double>(std::max(reference_max, floor)) * cfg_.margin) + cfg_.slack;
  }
  std::string describe_range(const ReferenceRange& r, const char* did) const {
    return fmt::format("the reference ({}) {} in {}–{} in {} of {} trials", cfg_.profile->name, did,
                       describe_time(r.min), describe_time(r.max), r.hits, r.trials);
  }
  // How far apart in time a reference mistake may explain one of the SUT's
  // that no fault boundary explains: the protocol's slowest periodic round.
  Nanos mistake_window() const {
    if (!cfg_.profile) return 0;
    if (cfg_.profile->kind == "swim")
      return std::max({cfg_.profile->swim.push_pull_interval, cfg_.profile->swim.reconnect_interval,
                       2 * cfg_.profile->swim.probe_interval});
    return 2 * cfg_.profile->heartbeat_interval;
  }
  std::string repair_text() const {
    Nanos floor = 0;
    if (cfg_.profile && cfg_.profile->kind == "swim")
      floor = 2 * std::max(cfg_.profile->swim.push_pull_interval, cfg_.profile->swim.reconnect_interval);
    if (floor == 0) return margin_text();
    return fmt::format("at least two anti-entropy rounds ({}), x {} + {}", describe_time(floor), cfg_.margin,
                       describe_time(cfg_.slack));
  }
  std::string margin_text() const {
    return fmt::format("x {} + {}", cfg_.margin, describe_time(cfg_.slack));
  }

  int add_figure(nlohmann::json row) {
    if (figures_.size() >= kMaxFigures) {
      ++figures_dropped_;
      return -1;
    }
    figures_.push_back(std::move(row));
    return static_cast<int>(figures_.size()) - 1;
  }
  void set_figure(int row, const char* key, nlohmann::json value) {
    if (row >= 0) figures_[static_cast<std::size_t>(row)][key] = std::move(value);
  }

  // Judges deadlines that passed before `t` and held mistakes that became
  // judgeable before `t`.
  void settle(Pair& p, int o, int s, Nanos t, bool at_end) {
    if (p.obligation != Obligation::kNone && (p.deadline < t || (at_end && p.deadline <= t))) {
      const Nanos bound = p.deadline - p.obligation_start;
      const std::string ref = p.reference.empty() ? "" : " (" + p.reference + ")";
      if (p.obligation == Obligation::kDetect) {
        violation("completeness", o, s, p.deadline, nullptr,
                  fmt::format("{} did not declare {} {} within {} of it becoming unreachable at {} ({}){}; at {} it "
                              "believed it {}",
                              nodes_.name(o), nodes_.name(s), history::to_string(detected_), describe_time(bound),
                              describe_time(p.obligation_start), p.cause, ref, describe_time(p.deadline),
                              history::to_string(p.declared)));
      } else {
        violation("recovery", o, s, p.deadline, nullptr,
                  fmt::format("{} did not declare {} alive within {} of {} at {}{}; at {} it "
                              "still believed it {}",
                              nodes_.name(o), nodes_.name(s), describe_time(bound), p.recover_from,
                              describe_time(p.obligation_start), ref, describe_time(p.deadline),
                              history::to_string(p.declared)));
      }
      set_figure(p.row, "verdict", "late");
      p.obligation = Obligation::kNone;
    }
    if (p.in_mistake && !p.mistake_judged && p.phase == Phase::kReachable) {
      if (env_) {
        if (p.mistake_deadline < t || (at_end && p.mistake_deadline <= t)) {
          p.mistake_judged = true;
          ++mistake_count_;
          set_figure(p.mistake_row, "verdict", "too long");
          if (strict_)
            violation("accuracy", o, s, p.mistake_deadline, p.mistake_event,
                      fmt::format("{} held {} {} from {}{} for more than {} although it was reachable; {}",
                                  nodes_.name(o), nodes_.name(s), history::to_string(p.declared),
                                  describe_time(p.mistake_start),
                                  p.mistake_event ? fmt::format(" ({})", describe_line(*p.mistake_event)) : "",
                                  describe_time(p.mistake_deadline - p.mistake_start), p.mistake_reference));
        }
        return;
      }
      const Nanos judge_at = std::max(p.phase_since + bounds_.detection_bound, p.mistake_start);
      if (judge_at < t || (at_end && judge_at <= t)) judge_mistake(p, o, s, judge_at, p.mistake_event);
    }
  }

  void judge_mistake(Pair& p, int o, int s, Nanos at, const Event* e) {
    p.mistake_judged = true;
    const std::string degraded = degraded_during(o, s, at - bounds_.detection_bound, at);
    const bool is_violation = strict_ && degraded.empty();
    ++mistake_count_;
    if (mistakes_.size() < kMaxListed) {
      nlohmann::json m{{"observer", nodes_.name(o)},
                       {"subject", nodes_.name(s)},
                       {"time", e ? e->time : at},
                       {"status", history::to_string(p.declared)},
                       {"violation", is_violation}};
      if (e && e->line > 0) m["line"] = e->line;
      if (!degraded.empty()) m["during"] = degraded;
      mistakes_.push_back(std::move(m));
    }
    if (is_violation)
      violation("accuracy", o, s, e ? e->time : at, e,
                fmt::format("{} declared {} {} at {}{} although it had been reachable and up since {} (more than {})",
                            nodes_.name(o), nodes_.name(s), history::to_string(p.declared),
                            describe_time(e ? e->time : at), e ? fmt::format(" ({})", describe_line(*e)) : "",
                            describe_time(p.phase_since), describe_time(bounds_.detection_bound)));
  }

  // Replay mode: a suspicion of a reachable subject begins at `e`. The
  // reference must make the same kind of mistake after the same fault
  // boundary; it may then last as long as the reference's longest x margin.
  void start_mistake_replay(Pair& p, int o, int s, const Event& e) {
    const Nanos t = e.time;
    const Nanos b = env_->latest_boundary(t);
    nlohmann::json row{{"observer", nodes_.name(o)}, {"subject", nodes_.name(s)}, {"what", "mistake"},
                       {"at", t},                    {"after", env_->boundary_label(b)}};
    if (e.line > 0) row["line"] = e.line;
    const std::string degraded = degraded_during(o, s, t, t);
    auto m = env_->mistake(o, s, t, cfg_.margin, cfg_.slack, mistake_window());
    nlohmann::json rec{{"status", history::to_string(p.declared)}, {"time", t}, {"observer", nodes_.name(o)},
                       {"subject", nodes_.name(s)}};
    if (e.line > 0) rec["line"] = e.line;
    if (m) {
      const Nanos allow = repairable(m->max_duration);
      p.mistake_deadline = t + allow;
      p.mistake_reference = fmt::format(
          "the reference ({}) made this mistake after {} ({} times in {} trials){}, lasting at most {} ({} allowed: {})",
          cfg_.profile->name, env_->boundary_label(m->boundary), m->trials, env_->trials(),
          m->level == 0   ? ""
          : m->level == 1 ? " (by a symmetric pair: same roles in the faults so far)"
          : m->level == 2 ? " (by another pair)"
          : m->level == 3 ? fmt::format(" (within {} of it)", describe_time(mistake_window()))
                          : fmt::format(" (by another pair, within {} of it)", describe_time(mistake_window())), describe_time(m->max_duration),
          repair_text(), describe_time(allow));
      row["reference"] = {{"trials", m->trials}, {"of", env_->trials()}, {"max_duration", m->max_duration},
                          {"matched", kMatched[m->level]}};
      row["allowed"] = allow;
      row["verdict"] = "ok";
      rec["violation"] = false;
      rec["reference"] = p.mistake_reference;
    } else if (!degraded.empty() || !strict_) {
      p.mistake_deadline = kNever;
      row["verdict"] = "excused";
      if (!degraded.empty()) row["during"] = degraded, rec["during"] = degraded;
      rec["violation"] = false;
    } else {
      p.mistake_judged = true;
      row["verdict"] = "not in the reference";
      rec["violation"] = true;
      violation("accuracy", o, s, t, &e,
                fmt::format("{} declared {} {} at {} ({}) although it was reachable; the reference ({}) never made "
                            "such a mistake (about this pair or a symmetric one) after {} in {} trials",
                            nodes_.name(o), nodes_.name(s), history::to_string(p.declared), describe_time(t),
                            describe_line(e), cfg_.profile->name, env_->boundary_label(b),
                            env_->trials()));
    }
    if (p.mistake_judged) ++mistake_count_;
    if (mistakes_.size() < kMaxListed) mistakes_.push_back(std::move(rec));
    p.mistake_row = add_figure(std::move(row));
  }

  void close_mistake(Pair& p, Nanos t) {
    if (!p.in_mistake) return;
    p.mistake_time += t - p.mistake_start;
    ++p.closed_mistakes;
    p.in_mistake = false;
    if (env_) {
      set_figure(p.mistake_row, "sut", t - p.mistake_start);
      if (!p.mistake_judged) {
        p.mistake_judged = true;
        ++mistake_count_;
      }
      p.mistake_row = -1;
    }
  }

  bool satisfies_detection(DetectorStatus status) const {
    return detected_ == DetectorStatus::kSuspect ? suspecting(status) : status == DetectorStatus::kDead;
  }

  void on_verdict(Pair& p, int o, int s, const Event& e, DetectorStatus status) {
    const Nanos t = e.time;
    settle(p, o, s, t, false);
    accumulate(p, t);
    const bool was = suspecting(p.declared), now = suspecting(status);
    p.declared = status;
    if (p.phase == Phase::kUnreachable && satisfies_detection(status) && p.row >= 0 &&
        figures_[static_cast<std::size_t>(p.row)]["sut"].is_null()) {
      set_figure(p.row, "sut", t - p.phase_since);
      if (p.obligation == Obligation::kDetect) set_figure(p.row, "verdict", "ok");
    }
    if (p.phase == Phase::kReachable && status == DetectorStatus::kAlive && p.row >= 0 &&
        figures_[static_cast<std::size_t>(p.row)]["sut"].is_null()) {
      set_figure(p.row, "sut", t - p.obligation_start);
      if (p.obligation == Obligation::kRecover) set_figure(p.row, "verdict", "ok");
      p.row = -1;
    }
    if (p.obligation == Obligation::kDetect && satisfies_detection(status)) p.obligation = Obligation::kNone;
    if (p.obligation == Obligation::kRecover && status == DetectorStatus::kAlive) p.obligation = Obligation::kNone;
    if (p.phase == Phase::kReachable) {
      if (now && !was) {
        p.in_mistake = true;
        p.mistake_judged = false;
        p.mistake_start = t;
        p.mistake_event = &e;
        if (p.mistakes == 0) p.first_mistake = t;
        p.last_mistake = t;
        ++p.mistakes;
        if (env_) start_mistake_replay(p, o, s, e);
      }
      if (!env_ && now && p.in_mistake && !p.mistake_judged && t >= p.phase_since + bounds_.detection_bound)
        judge_mistake(p, o, s, t, &e);
      if (!now) close_mistake(p, t);
    } else if (p.phase == Phase::kUnreachable) {
      if (now && !was) p.suspect_since = t;
      if (!now) p.suspect_since = -1;
    }
  }

  void end_unreachable(Pair& p) {
    if (p.suspect_since >= 0) {
      const Nanos td = std::max<Nanos>(0, p.suspect_since - p.phase_since);
      ++p.detections;
      p.td_sum += td;
      p.td_max = std::max(p.td_max, td);
    } else {
      ++p.undetected;
    }
    p.suspect_since = -1;
  }

  void on_truth(Pair& p, int o, int s, Nanos t, Phase next, bool restarted) {
    settle(p, o, s, t, false);
    accumulate(p, t);
    const Phase prev = p.phase;
    if (prev == Phase::kReachable) close_mistake(p, t);
    if (prev == Phase::kUnreachable && next != Phase::kUnreachable) end_unreachable(p);
    if (next == Phase::kObserverDown || prev != next) {
      if (p.obligation != Obligation::kNone) set_figure(p.row, "verdict", "window ended first");
      p.obligation = Obligation::kNone;
    }
    if (restarted) p.declared = DetectorStatus::kAlive;
    if (prev == next && !restarted) return;
    p.phase = next;
    p.phase_since = t;
    p.row = -1;
    p.reference.clear();
    if (next == Phase::kUnreachable) {
      p.cause = truth_->why_unreachable(o, s);
      p.suspect_since = suspecting(p.declared) ? t : -1;
      open_detection(p, o, s, t);
    } else if (next == Phase::kReachable && suspecting(p.declared)) {
      open_recovery(p, o, s, t, "it becoming reachable again");
    }
  }

  nlohmann::json figure_row(int o, int s, const char* what, Nanos t, const std::string& window) const {
    return {{"observer", nodes_.name(o)}, {"subject", nodes_.name(s)}, {"what", what}, {"at", t},
            {"window", window}, {"sut", nullptr}};
  }

  void open_detection(Pair& p, int o, int s, Nanos t) {
    nlohmann::json row = figure_row(o, s, "detection", t, p.cause);
    const bool done = satisfies_detection(p.declared);
    if (done) row["sut"] = 0;
    if (cfg_.detection_bound) {
      if (!done) {
        p.obligation = Obligation::kDetect;
        p.deadline = t + *cfg_.detection_bound;
      }
      row["allowed"] = *cfg_.detection_bound;
      row["bound"] = "config";
    }
    if (env_) {
      if (const ReferenceRange* r = env_->detection(o, s, t)) {
        row["reference"] = r->to_json();
        if (r->always()) {
          if (!cfg_.detection_bound) {
            row["allowed"] = allowed(*r);
            if (!done) {
              p.obligation = Obligation::kDetect;
              p.deadline = t + allowed(*r);
            }
          }
          p.reference = describe_range(*r, "detected it") + ", " + margin_text();
        } else if (!cfg_.detection_bound) {
          row["verdict"] = "not required";
          ++not_required_;
        }
      }
    }
    if (p.obligation == Obligation::kDetect) {
      p.obligation_start = t;
      row["verdict"] = "pending";
    } else if (done) {
      row["verdict"] = "ok";
    }
    p.row = add_figure(std::move(row));
  }

  void open_recovery(Pair& p, int o, int s, Nanos t, std::string from) {
    nlohmann::json row = figure_row(o, s, "recovery", t, from);
    p.recover_from = std::move(from);
    if (cfg_.recovery_bound) {
      p.obligation = Obligation::kRecover;
      p.deadline = t + *cfg_.recovery_bound;
      row["allowed"] = *cfg_.recovery_bound;
      row["bound"] = "config";
    }
    if (env_) {
      const ReferenceRange* r = env_->recovery(o, s, t);
      bool fallback = false;
      if (!r || r->hits == 0) {
        if (const ReferenceRange* f = env_->recovery_fallback(t); f && (!r || r->trials == 0)) {
          r = f;
          fallback = true;
        }
      }
      if (r) {
        row["reference"] = r->to_json();
        if (fallback) row["reference"]["of"] = "other pairs";
        if (r->always()) {
          if (!cfg_.recovery_bound) {
            p.obligation = Obligation::kRecover;
            p.deadline = t + repairable(r->max);
            row["allowed"] = repairable(r->max);
          }
          p.reference = describe_range(*r, fallback ? "recovered other pairs" : "recovered") + ", " + repair_text();
        } else if (!cfg_.recovery_bound) {
          row["verdict"] = "not required";
          ++not_required_;
        }
      }
    }
    if (p.obligation == Obligation::kRecover) {
      p.obligation_start = t;
      row["verdict"] = "pending";
    }
    p.obligation_start = t;
    p.row = add_figure(std::move(row));
  }

  // Whether a degraded window other than `ended` touches the pair after `t`.
  bool still_degraded(int o, int s, Nanos t, const DegradedWindow* ended) const {
    for (const auto& w : degraded_) {
      if (&w == ended || w.start > t || w.end <= t) continue;
      if (w.touches(o, s)) return true;
    }
    return false;
  }

  // A degraded fault (delay, loss, ...) ended at `t`: a suspicion it excused
  // must not outlive it, so every pair it touched whose observer is up, whose
  // subject is reachable and which still suspects owes an `alive` within
  // recovery_bound (otherwise a node wrongly declared dead during a delay
  // could stay dead for ever without any violation).
  void on_degraded_end(const std::string& id, Nanos t) {
    const DegradedWindow* w = nullptr;
    for (const auto& d : degraded_)
      if (d.id == id && d.end == t) w = &d;
    if (!w) return;
    const int n = nodes_.size();
    for (int o = 0; o < n; ++o)
      for (int s = 0; s < n; ++s) {
        if (o == s) continue;
        if (!w->touches(o, s)) continue;
        if (still_degraded(o, s, t, w)) continue;  // another delay/loss still excuses the pair
        Pair& p = pair(o, s);
        settle(p, o, s, t, false);
        if (p.phase != Phase::kReachable || !suspecting(p.declared) || p.obligation != Obligation::kNone) continue;
        open_recovery(p, o, s, t, fmt::format("the end of {}", w->label));
      }
  }

  void finish(Pair& p, int o, int s, Nanos end) {
    settle(p, o, s, end, true);
    accumulate(p, end);
    if (p.obligation != Obligation::kNone) ++unjudged_;
    if (p.phase == Phase::kReachable) close_mistake(p, end);
    if (p.phase == Phase::kUnreachable && p.suspect_since >= 0) end_unreachable(p);
  }

  void violation(const char* property, int o, int s, Nanos time, const Event* e, std::string message) {
    ++violation_count_;
    ++by_property_[property];
    if (violations_.size() >= kMaxListed) return;
    nlohmann::json v{{"property", property}, {"observer", nodes_.name(o)}, {"subject", nodes_.name(s)},
                     {"time", time}, {"message", std::move(message)}};
    if (e && e->line > 0) v["line"] = e->line;
    violations_.push_back(std::move(v));
  }

  Result<CheckResult> timed_out(std::size_t at) {
    CheckResult r;
    r.valid = Validity::kUnknown;
    r.findings = {{"valid", "unknown"}, {"reason", fmt::format("timed out at event {} of {}", at, h_.events.size())}};
    r.text = "detector: unknown (timed out)";
    return r;
  }

  Result<CheckResult> report(std::size_t detector_events, const std::vector<std::string>& warnings) {
    const int n = nodes_.size();
    nlohmann::json pairs = nlohmann::json::array();
    std::uint64_t detections = 0, undetected = 0, mistakes = 0;
    Nanos td_sum = 0, td_max = 0, reach = 0, trust = 0;
    for (int o = 0; o < n; ++o) {
      for (int s = 0; s < n; ++s) {
        if (o == s) continue;
        const Pair& p = pair(o, s);
        detections += p.detections;
        undetected += p.undetected;
        mistakes += p.mistakes;
        td_sum += p.td_sum;
        td_max = std::max(td_max, p.td_max);
        reach += p.reach_time;
        trust += p.trust_time;
        if (p.detections + p.undetected + p.mistakes == 0) continue;
        nlohmann::json j{{"observer", nodes_.name(o)}, {"subject", nodes_.name(s)},
                         {"detections", p.detections}, {"undetected", p.undetected}, {"mistakes", p.mistakes}};
        j["T_D_mean"] = p.detections ? nlohmann::json(p.td_sum / p.detections) : nlohmann::json();
        j["T_D_max"] = p.detections ? nlohmann::json(p.td_max) : nlohmann::json();
        j["T_MR"] = p.mistakes >= 2 ? nlohmann::json((p.last_mistake - p.first_mistake) / (p.mistakes - 1)) : nlohmann::json();
        j["T_M"] = p.closed_mistakes ? nlohmann::json(p.mistake_time / p.closed_mistakes) : nlohmann::json();
        j["P_A"] = p.reach_time > 0 ? nlohmann::json(static_cast<double>(p.trust_time) / p.reach_time) : nlohmann::json();
        pairs.push_back(std::move(j));
      }
    }
    nlohmann::json overall{{"detections", detections}, {"undetected", undetected}, {"mistakes", mistakes}};
    overall["T_D_mean"] = detections ? nlohmann::json(td_sum / static_cast<Nanos>(detections)) : nlohmann::json();
    overall["T_D_max"] = detections ? nlohmann::json(td_max) : nlohmann::json();
    overall["P_A"] = reach > 0 ? nlohmann::json(static_cast<double>(trust) / reach) : nlohmann::json();

    nlohmann::json counts = nlohmann::json::object();
    for (const auto& [k, v] : by_property_) counts[k] = v;
    nlohmann::json bounds{{"detection_bound", cfg_.detection_bound ? describe_time(*cfg_.detection_bound) : "replay"},
                          {"recovery_bound", cfg_.recovery_bound ? describe_time(*cfg_.recovery_bound) : "replay"},
                          {"source", cfg_.profile ? (cfg_.detection_bound || cfg_.recovery_bound
                                                         ? "replay of the reference, bounds from config"
                                                         : "replay of the reference")
                                                  : "config"}};
    std::vector<std::string> reports;
    for (auto st : cfg_.reports) reports.emplace_back(reference::to_string(st));
    CheckResult r;
    r.valid = violation_count_ == 0 ? Validity::kValid : Validity::kInvalid;
    r.findings = {{"valid", to_json(r.valid)},
                  {"bounds", bounds},
                  {"reports", reports},
                  {"detected_status", history::to_string(detected_)},
                  {"strict_accuracy", strict_},
                  {"nodes", n},
                  {"detector_events", detector_events},
                  {"violation_count", violation_count_},
                  {"violations_by_property", counts},
                  {"violations", violations_},
                  {"mistake_count", mistake_count_},
                  {"mistakes", mistakes_},
                  {"unjudged", unjudged_},
                  {"qos", {{"overall", overall}, {"pairs", pairs}}},
                  {"warnings", warnings}};
    if (unreported_ > 0)
      r.findings["warnings"].push_back(fmt::format(
          "{} detector event(s) with a status the config says the service does not report (reports: {}) were ignored",
          unreported_, fmt::join(reports, ", ")));
    if (env_) {
      nlohmann::json ref = env_->summary();
      ref["knobs"] = cfg_.knobs;
      ref["margin"] = cfg_.margin;
      ref["slack"] = describe_time(cfg_.slack);
      ref["replay_wall"] = describe_time(replay_wall_);
      ref["not_required"] = not_required_;
      r.findings["reference"] = std::move(ref);
      r.findings["envelope"] = figures_;
      if (figures_dropped_ > 0) r.findings["envelope_dropped"] = figures_dropped_;
    }
    const std::string source =
        env_ ? fmt::format("against the reference {} replayed {} times over this history's faults, x {} + {}",
                           cfg_.profile->name, env_->trials(), cfg_.margin, describe_time(cfg_.slack))
             : fmt::format("bounds {}/{} from config", describe_time(bounds_.detection_bound),
                           describe_time(bounds_.recovery_bound));
    if (violation_count_ == 0) {
      r.text = fmt::format("detector: valid ({} nodes, {} detector events, {} detections, {} mistakes; {})", n,
                           detector_events, detections, mistake_count_, source);
    } else {
      r.text = fmt::format("detector: INVALID: {} violation(s) ({})", violation_count_, source);
      for (std::size_t i = 0; i < violations_.size() && i < 10; ++i)
        r.text += fmt::format("\n  {}: {}", violations_[i]["property"].get<std::string>(),
                              violations_[i]["message"].get<std::string>());
    }
    if (env_) r.text += figures_text();
    return r;
  }

  // Per pair: the SUT's figure beside the reference's range and what was allowed.
  std::string figures_text() const {
    std::string out = "\n  per pair (SUT | reference | allowed | verdict):";
    std::size_t shown = 0;
    for (const auto& f : figures_) {
      if (shown == 40) {
        out += fmt::format("\n    ... {} more rows in --json (\"envelope\")", figures_.size() - shown);
        break;
      }
      ++shown;
      auto t = [](const nlohmann::json& v) {
        return v.is_number() ? fmt::format("{:.2f}s", static_cast<double>(v.get<Nanos>()) / 1e9) : std::string("-");
      };
      std::string ref = "-";
      if (auto it = f.find("reference"); it != f.end()) {
        if (it->contains("range"))
          ref = fmt::format("{}–{} ({}/{})", t((*it)["min"]), t((*it)["max"]), (*it)["hits"].get<int>(),
                            (*it)["trials"].get<int>());
        else if (it->contains("max_duration"))
          ref = fmt::format("<= {} ({}/{} trials, {})", t((*it)["max_duration"]), (*it)["trials"].get<int>(),
                            (*it)["of"].get<int>(), (*it)["matched"].get<std::string>());
        else
          ref = fmt::format("never ({}/{})", (*it)["hits"].get<int>(), (*it)["trials"].get<int>());
      }
      const std::string where = f.contains("window") ? f["window"].get<std::string>()
                                                     : f.value("after", std::string());
      out += fmt::format("\n    {}->{} {} at {} [{}]: {} | {} | {} | {}", f["observer"].get<std::string>(),
                         f["subject"].get<std::string>(), f["what"].get<std::string>(), t(f["at"]), where,
                         t(f.value("sut", nlohmann::json())), ref, t(f.value("allowed", nlohmann::json())),
                         f.value("verdict", std::string("-")));
    }
    return out;
  }

  struct Bounds {
    Nanos detection_bound = 0;
    Nanos recovery_bound = 0;
  };
  const history::History& h_;
  const DetectorConfig& cfg_;
  Bounds bounds_;
  DetectorStatus detected_ = DetectorStatus::kDead;
  std::optional<DetectorEnvelope> env_;
  Nanos replay_wall_ = 0;
  nlohmann::json figures_ = nlohmann::json::array();
  std::size_t figures_dropped_ = 0;
  std::size_t not_required_ = 0;
  std::size_t unreported_ = 0;
  bool strict_;
  std::set<std::string> degraded_kinds_;
  NodeIndex nodes_;
  std::vector<Pair> pairs_;
  std::vector<DegradedWindow> degraded_;
  const GroundTruth* truth_ = nullptr;
  std::size_t violation_count_ = 0;
  std::map<std::string, std::size_t> by_property_;
  nlohmann::json violations_ = nlohmann::json::array();
  std::size_t mistake_count_ = 0;
  nlohmann::json mistakes_ = nlohmann::json::array();
  std::size_t unjudged_ = 0;
};

class DetectorChecker : public Checker {
 public:
  std::string name() const override { return "detector"; }

  bool applies(const history::History& h) const override {
    return std::any_of(h.events.begin(), h.events.end(),
                       [](const Event& e) { return std::holds_alternative<DetectorEvent>(e.body); });
  }

  Result<CheckResult> check(const history::History& h, const CheckOptions& options) override {
    auto config = read_detector_config(options.config);
    if (!config) return config.error();
    if (!config->configured)
      return not_configured("detector",
                            "no detector configured: give a `detector` section naming a profile (memberlist-lan, "
                            "serf, swim, heartbeat, akka, ...) or both detection_bound and recovery_bound");
    DetectorRun run(h, *config);
    return run.run(options.deadline);
  }
};

}  // namespace

std::unique_ptr<Checker> make_detector_checker() { return std::make_unique<DetectorChecker>(); }

}  // namespace faultline::checkers
