#include "checkers/detector_checker.h"

#include <algorithm>
#include <limits>
#include <set>

#include <fmt/format.h>

#include "checkers/config_reader.h"
#include "checkers/detector_bounds.h"
#include "checkers/findings.h"
#include "checkers/ground_truth.h"

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
};

enum class Obligation : std::uint8_t { kNone, kDetect, kRecover };
enum class Phase : std::uint8_t { kReachable, kUnreachable, kObserverDown };

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
};

bool suspecting(DetectorStatus s) { return s != DetectorStatus::kAlive; }

class Run {
 public:
  Run(const history::History& h, const DetectorBounds& bounds, bool strict, std::set<std::string> degraded_kinds)
      : h_(h), bounds_(bounds), strict_(strict), degraded_kinds_(std::move(degraded_kinds)) {}

  Result<CheckResult> run(Nanos deadline) {
    index_nodes();
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
        // A one-way grudge (a drops b, b does not drop a): the pairs that it
        // leaves reachable only one way round (through other nodes) are
        // judged as degraded: a detector may or may not get through there,
        // as the reference's own probes may or may not.
        std::vector<int> one_way;
        if (kind == "partition")
          for (const auto& [a, dropped] : f->grudge)
            for (const auto& b : dropped) {
              auto back = f->grudge.find(b);
              if (back == f->grudge.end() || std::find(back->second.begin(), back->second.end(), a) == back->second.end()) {
                one_way.push_back(nodes_.find(a));
                one_way.push_back(nodes_.find(b));
              }
            }
        const bool degraded =
            degraded_kinds_.count(kind) || (kind == "partition" && (f->grudge.empty() || !one_way.empty()));
        if (!degraded || open.count(f->id)) continue;
        DegradedWindow w{f->id, fmt::format("{} ({}{})", f->id, kind, one_way.empty() ? "" : ", one-way"), e.time,
                         kNever, {}};
        for (const auto& t : f->targets) w.targets.push_back(nodes_.find(t));
        if (kind == "partition") w.targets = one_way;  // empty (every pair) for a partition without a grudge
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
      if (w.targets.empty() || std::find_if(w.targets.begin(), w.targets.end(),
                                            [&](int t) { return t == o || t == s; }) != w.targets.end())
        return w.label;
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

  // Judges deadlines that passed before `t` and held mistakes that became
  // judgeable before `t`.
  void settle(Pair& p, int o, int s, Nanos t, bool at_end) {
    if (p.obligation != Obligation::kNone && (p.deadline < t || (at_end && p.deadline <= t))) {
      if (p.obligation == Obligation::kDetect) {
        violation("completeness", o, s, p.deadline, nullptr,
                  fmt::format("{} did not declare {} dead within {} of it becoming unreachable at {} ({}); at {} it "
                              "believed it {}",
                              nodes_.name(o), nodes_.name(s), describe_time(bounds_.detection_bound),
                              describe_time(p.obligation_start), p.cause, describe_time(p.deadline),
                              history::to_string(p.declared)));
      } else {
        violation("recovery", o, s, p.deadline, nullptr,
                  fmt::format("{} did not declare {} alive within {} of {} at {}; at {} it "
                              "still believed it {}",
                              nodes_.name(o), nodes_.name(s), describe_time(bounds_.recovery_bound), p.recover_from,
                              describe_time(p.obligation_start), describe_time(p.deadline),
                              history::to_string(p.declared)));
      }
      p.obligation = Obligation::kNone;
    }
    if (p.in_mistake && !p.mistake_judged && p.phase == Phase::kReachable) {
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

  void close_mistake(Pair& p, Nanos t) {
    if (!p.in_mistake) return;
    p.mistake_time += t - p.mistake_start;
    ++p.closed_mistakes;
    p.in_mistake = false;
  }

  void on_verdict(Pair& p, int o, int s, const Event& e, DetectorStatus status) {
    const Nanos t = e.time;
    settle(p, o, s, t, false);
    accumulate(p, t);
    const bool was = suspecting(p.declared), now = suspecting(status);
    p.declared = status;
    if (p.obligation == Obligation::kDetect && status == DetectorStatus::kDead) p.obligation = Obligation::kNone;
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
      }
      if (now && p.in_mistake && !p.mistake_judged && t >= p.phase_since + bounds_.detection_bound)
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
    if (next == Phase::kObserverDown || prev != next) p.obligation = Obligation::kNone;
    if (restarted) p.declared = DetectorStatus::kAlive;
    if (prev == next && !restarted) return;
    p.phase = next;
    p.phase_since = t;
    if (next == Phase::kUnreachable) {
      p.cause = truth_->why_unreachable(o, s);
      p.suspect_since = suspecting(p.declared) ? t : -1;
      if (p.declared != DetectorStatus::kDead) {
        p.obligation = Obligation::kDetect;
        p.obligation_start = t;
        p.deadline = t + bounds_.detection_bound;
      }
    } else if (next == Phase::kReachable && suspecting(p.declared)) {
      p.obligation = Obligation::kRecover;
      p.obligation_start = t;
      p.deadline = t + bounds_.recovery_bound;
      p.recover_from = "it becoming reachable again";
    }
  }

  // Whether a degraded window other than `ended` touches the pair after `t`.
  bool still_degraded(int o, int s, Nanos t, const DegradedWindow* ended) const {
    for (const auto& w : degraded_) {
      if (&w == ended || w.start > t || w.end <= t) continue;
      if (w.targets.empty() || std::find_if(w.targets.begin(), w.targets.end(),
                                            [&](int x) { return x == o || x == s; }) != w.targets.end())
        return true;
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
        if (!w->targets.empty() && std::find_if(w->targets.begin(), w->targets.end(),
                                                [&](int x) { return x == o || x == s; }) == w->targets.end())
          continue;
        if (still_degraded(o, s, t, w)) continue;  // another delay/loss still excuses the pair
        Pair& p = pair(o, s);
        settle(p, o, s, t, false);
        if (p.phase != Phase::kReachable || !suspecting(p.declared) || p.obligation != Obligation::kNone) continue;
        p.obligation = Obligation::kRecover;
        p.obligation_start = t;
        p.deadline = t + bounds_.recovery_bound;
        p.recover_from = fmt::format("the end of {}", w->label);
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
    CheckResult r;
    r.valid = violation_count_ == 0 ? Validity::kValid : Validity::kInvalid;
    r.findings = {{"valid", to_json(r.valid)},
                  {"bounds", bounds_.to_json()},
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
    if (violation_count_ == 0) {
      r.text = fmt::format("detector: valid ({} nodes, {} detector events, {} detections, {} mistakes; bounds {}/{} {})", n,
                           detector_events, detections, mistake_count_, describe_time(bounds_.detection_bound),
                           describe_time(bounds_.recovery_bound), bounds_.source);
    } else {
      r.text = fmt::format("detector: INVALID: {} violation(s)", violation_count_);
      for (std::size_t i = 0; i < violations_.size() && i < 10; ++i)
        r.text += fmt::format("\n  {}: {}", violations_[i]["property"].get<std::string>(),
                              violations_[i]["message"].get<std::string>());
    }
    return r;
  }

  const history::History& h_;
  DetectorBounds bounds_;
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
    ConfigReader c(options.config, "detector");
    auto detection = c.optional_duration("detection_bound", 1);
    auto recovery = c.optional_duration("recovery_bound", 1);
    const bool strict = c.boolean("strict_accuracy", true);
    auto kinds = c.strings("degraded_kinds", default_degraded_kinds());
    auto bounds = resolve_detector_bounds(h, c, detection, recovery);
    if (!bounds) return bounds.error();
    if (auto done = c.finish(); !done) return done.error();
    Run run(h, *bounds, strict, std::set<std::string>(kinds.begin(), kinds.end()));
    return run.run(options.deadline);
  }
};

}  // namespace

std::unique_ptr<Checker> make_detector_checker() { return std::make_unique<DetectorChecker>(); }

}  // namespace faultline::checkers
