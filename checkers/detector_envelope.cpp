#include "checkers/detector_envelope.h"

#include <algorithm>
#include <limits>
#include <thread>

#include <fmt/format.h>

#include "checkers/findings.h"
#include "checkers/ground_truth.h"
#include "checkers/reference/detector_replay.h"
#include "common/units.h"

namespace faultline::checkers {
namespace {

using history::Event;
using history::FaultEvent;
using reference::NetworkWindow;
using reference::Status;

using Phase = PairPhase;

struct Span {
  Nanos start = 0;
  Nanos end = 0;
  Phase phase = Phase::kReachable;
  Phase prev = Phase::kReachable;
};

std::optional<Nanos> duration_field(const nlohmann::json& f, const char* key) {
  auto it = f.find(key);
  if (it == f.end()) return std::nullopt;
  if (it->is_number_integer()) return it->get<Nanos>();
  if (it->is_string()) {
    auto d = parse_duration(it->get<std::string>());
    if (d) return *d;
  }
  return std::nullopt;
}

double percent_field(const nlohmann::json& f, const char* key) {
  auto it = f.find(key);
  if (it == f.end()) return 0.0;
  if (it->is_number()) return it->get<double>();
  if (it->is_string()) {
    std::string s = it->get<std::string>();
    if (!s.empty() && s.back() == '%') s.pop_back();
    try {
      return std::stod(s);
    } catch (...) {
      return 0.0;
    }
  }
  return 0.0;
}

void widen(ReferenceRange& r, std::optional<Nanos> delay) {
  ++r.trials;
  if (!delay) return;
  if (r.hits == 0 || *delay < r.min) r.min = *delay;
  if (r.hits == 0 || *delay > r.max) r.max = *delay;
  ++r.hits;
}

}  // namespace

nlohmann::json ReferenceRange::to_json() const {
  nlohmann::json j{{"trials", trials}, {"hits", hits}};
  if (hits > 0) {
    j["min"] = min;
    j["max"] = max;
    j["range"] = fmt::format("{}–{}", describe_time(min), describe_time(max));
  }
  return j;
}

Result<DetectorEnvelope> DetectorEnvelope::build(const history::History& h, const NodeIndex& nodes,
                                                 const EnvelopeOptions& options) {
  DetectorEnvelope env;
  const int n = nodes.size();
  env.n_ = n;
  env.trials_ = options.trials;
  env.profile_ = options.profile.name;
  const Nanos end = h.end_time();

  // ---- the schedule --------------------------------------------------------
  reference::ReplayConfig rc;
  for (int i = 0; i < n; ++i) rc.nodes.push_back(nodes.name(i));
  rc.profile = options.profile;
  rc.duration = std::max<Nanos>(end, 1);
  std::vector<std::string> roles(static_cast<std::size_t>(n));  // per node, over the faults so far
  std::map<std::string, int> class_ids;
  auto snapshot = [&](Nanos t) {
    std::vector<int> ids(static_cast<std::size_t>(n));
    for (int x = 0; x < n; ++x)
      ids[static_cast<std::size_t>(x)] =
          class_ids.try_emplace(roles[static_cast<std::size_t>(x)], static_cast<int>(class_ids.size())).first->second;
    env.fault_starts_.push_back(t);
    env.classes_.push_back(std::move(ids));
  };
  snapshot(std::numeric_limits<Nanos>::min());
  std::map<std::string, std::size_t> open;     // modelled windows by fault id
  std::map<std::string, std::string> kinds;    // every open fault's kind by id
  env.boundaries_[0] = "the start of the run";
  for (const auto& e : h.events) {
    const auto* f = std::get_if<FaultEvent>(&e.body);
    if (!f) continue;
    if (f->phase == FaultEvent::Phase::kEnd) {
      auto k = kinds.find(f->id);
      if (k == kinds.end()) continue;
      env.boundaries_[e.time] = fmt::format("the end of {} ({})", f->id, k->second);
      kinds.erase(k);
      if (auto it = open.find(f->id); it != open.end()) {
        rc.schedule[it->second].end = e.time;
        open.erase(it);
      }
      continue;
    }
    const std::string kind = f->kind();
    if (kinds.count(f->id)) continue;
    kinds[f->id] = kind;
    env.boundaries_[e.time] = fmt::format("the start of {} ({})", f->id, kind);
    // Each node's role in this fault: target or not; for a partition, whom it drops.
    for (int x = 0; x < n; ++x) {
      std::string role = "|" + kind + ":";
      if (!f->grudge.empty()) {
        auto g = f->grudge.find(nodes.name(x));
        if (g != f->grudge.end()) {
          std::vector<std::string> dropped = g->second;
          std::sort(dropped.begin(), dropped.end());
          for (const auto& d : dropped) role += d + ",";
        }
      } else {
        bool target = f->targets.empty() ||
                      std::find(f->targets.begin(), f->targets.end(), nodes.name(x)) != f->targets.end();
        role += target ? "T" : "-";
      }
      roles[static_cast<std::size_t>(x)] += role;
    }
    if (!env.fault_starts_.empty() && env.fault_starts_.back() == e.time) {
      env.fault_starts_.pop_back();
      env.classes_.pop_back();
    }
    snapshot(e.time);
    NetworkWindow w;
    w.start = e.time;
    w.end = rc.duration;
    for (const auto& t : f->targets)
      if (int id = nodes.find(t); id >= 0) w.nodes.push_back(id);
    bool modelled = true;
    if (kind == "kill") {
      w.kind = NetworkWindow::Kind::kDown;
    } else if (kind == "pause") {
      w.kind = NetworkWindow::Kind::kPause;
    } else if (kind == "partition" && !f->grudge.empty()) {
      w.kind = NetworkWindow::Kind::kDrop;
      for (const auto& [a, bs] : f->grudge)
        for (const auto& b : bs)
          if (nodes.find(a) >= 0 && nodes.find(b) >= 0) w.drops.emplace_back(nodes.find(a), nodes.find(b));
    } else if (kind == "delay") {
      w.kind = NetworkWindow::Kind::kDelay;
      w.delay = duration_field(f->fault, "delay").value_or(0);
      w.jitter = duration_field(f->fault, "jitter").value_or(0);
    } else if (kind == "loss") {
      w.kind = NetworkWindow::Kind::kLoss;
      w.loss = std::clamp(percent_field(f->fault, "percent") / 100.0, 0.0, 1.0);
    } else if (kind == "blackhole-out") {
      w.kind = NetworkWindow::Kind::kLoss;
      w.loss = 1.0;
    } else {
      modelled = false;
    }
    if (!modelled) {
      env.unmodelled_.push_back(fmt::format("{} ({})", f->id, kind.empty() ? "?" : kind));
      continue;
    }
    open[f->id] = rc.schedule.size();
    rc.schedule.push_back(std::move(w));
  }

  // ---- the ground truth, per pair, as spans --------------------------------
  const std::size_t pairs = static_cast<std::size_t>(n) * n;
  std::vector<std::vector<Span>> spans(pairs);
  {
    GroundTruth truth(nodes, options.degraded_kinds);
    std::vector<Phase> cur(pairs, Phase::kReachable);
    std::vector<Nanos> since(pairs, 0);
    std::vector<Phase> before(pairs, Phase::kReachable);
    auto phase_of = [&](int o, int s) {
      return !truth.up(o) ? Phase::kObserverDown : truth.reachable(o, s) ? Phase::kReachable : Phase::kUnreachable;
    };
    for (const auto& e : h.events) {
      if (!std::holds_alternative<FaultEvent>(e.body)) continue;
      truth.apply(e);
      std::vector<char> restarted(static_cast<std::size_t>(n), 0);
      for (int r : truth.restarted()) restarted[static_cast<std::size_t>(r)] = 1;
      for (int o = 0; o < n; ++o)
        for (int s = 0; s < n; ++s) {
          if (o == s) continue;
          const std::size_t k = static_cast<std::size_t>(o) * n + s;
          const Phase next = phase_of(o, s);
          if (next == cur[k] && !restarted[static_cast<std::size_t>(o)]) continue;
          if (e.time > since[k]) {
            spans[k].push_back(Span{since[k], e.time, cur[k], before[k]});
            before[k] = cur[k];
          }
          cur[k] = next;
          since[k] = e.time;
        }
    }
    for (std::size_t k = 0; k < pairs; ++k)
      if (end > since[k] || spans[k].empty()) spans[k].push_back(Span{since[k], std::max(end, since[k]), cur[k], before[k]});
  }

  // ---- the trials ----------------------------------------------------------
  const auto& reports = options.reports;
  const Status detected = options.profile.detected;
  auto project = [&](Status s) { return reports.count(s) ? s : Status::kAlive; };
  ReferenceRange any_recovery;
  auto fold = [&](Result<reference::ReplayResult>& replay) -> Result<void> {
    if (!replay) return replay.error().with_context("detector replay");
    env.events_ += replay->events;
    std::vector<std::vector<std::pair<Nanos, Status>>> changes(pairs);
    for (const auto& c : replay->changes)
      changes[static_cast<std::size_t>(c.observer) * n + c.subject].emplace_back(c.time, project(c.status));
    std::set<Key> seen_pair, seen_class, seen_any;
    for (int o = 0; o < n; ++o)
      for (int s = 0; s < n; ++s) {
        if (o == s) continue;
        const std::size_t k = static_cast<std::size_t>(o) * n + s;
        const auto& ch = changes[k];
        std::size_t i = 0;
        Status status = Status::kAlive;
        for (const auto& sp : spans[k]) {
          while (i < ch.size() && ch[i].first <= sp.start) status = ch[i++].second;
          const Key key{static_cast<int>(k), sp.start};
          if (sp.phase == Phase::kUnreachable) {
            std::optional<Nanos> delay;
            if (status == detected) delay = 0;
            for (std::size_t j = i; !delay && j < ch.size() && ch[j].first < sp.end; ++j)
              if (ch[j].second == detected) delay = ch[j].first - sp.start;
            widen(env.detection_[key], delay);
          } else if (sp.phase == Phase::kReachable) {
            if (status != Status::kAlive && sp.prev != Phase::kReachable) {
              std::optional<Nanos> delay;
              for (std::size_t j = i; !delay && j < ch.size() && ch[j].first < sp.end; ++j)
                if (ch[j].second == Status::kAlive) delay = ch[j].first - sp.start;
              widen(env.recovery_[key], delay);
              widen(env.recovery_by_time_[sp.start], delay);
              widen(any_recovery, delay);
            }
            // Mistakes: suspicions that begin inside the span (one carried
            // in from the unreachability is a recovery, above).
            Nanos m0 = -1;
            auto close = [&](Nanos at) {
              const Nanos b = env.latest_boundary(m0);
              env.mistake_times_[static_cast<int>(k)].emplace_back(m0, at - m0);
              env.mistake_times_[-1].emplace_back(m0, at - m0);
              for (int level = 0; level < 3; ++level) {
                const Key mk{level == 0 ? static_cast<int>(k) : level == 1 ? env.class_key(o, s, b) : -1, b};
                auto& map = level == 0 ? env.mistakes_pair_ : level == 1 ? env.mistakes_class_ : env.mistakes_any_;
                auto& seen = level == 0 ? seen_pair : level == 1 ? seen_class : seen_any;
                auto it = map.try_emplace(mk, MistakeRange{b, 0, 0, 0, level}).first;
                if (seen.insert(mk).second) ++it->second.trials;
                it->second.max_offset = std::max(it->second.max_offset, m0 - b);
                it->second.max_duration = std::max(it->second.max_duration, at - m0);
              }
              m0 = -1;
            };
            for (; i < ch.size() && ch[i].first < sp.end; ++i) {
              const bool was = status != Status::kAlive;
              status = ch[i].second;
              const bool now = status != Status::kAlive;
              if (now && !was) m0 = ch[i].first;
              if (!now && was && m0 >= 0) close(ch[i].first);
            }
            if (m0 >= 0) close(sp.end);
          }
        }
      }
    return ok_result();
  };
  // The trials run in parallel (they share nothing); their results are
  // folded in trial order, so the envelope does not depend on the threads.
  const int threads = std::clamp<int>(static_cast<int>(std::thread::hardware_concurrency()), 1, 8);
  std::vector<Result<reference::ReplayResult>> results;
  for (int first = 1; first <= options.trials; first += threads) {
    if (options.deadline > 0 && monotonic_now() > options.deadline)
      return Error{ErrorCode::kTimeout, fmt::format("detector replay: timed out after {} of {} trials", first - 1,
                                                    options.trials)};
    const int batch = std::min(threads, options.trials - first + 1);
    results.assign(static_cast<std::size_t>(batch), Result<reference::ReplayResult>(reference::ReplayResult{}));
    std::vector<std::thread> pool;
    for (int b = 0; b < batch; ++b)
      pool.emplace_back([&, b] {
        reference::ReplayConfig mine = rc;
        mine.seed = static_cast<std::uint64_t>(first + b);
        results[static_cast<std::size_t>(b)] = reference::run_detector_replay(mine);
      });
    for (auto& t : pool) t.join();
    for (int b = 0; b < batch; ++b)
      if (auto r = fold(results[static_cast<std::size_t>(b)]); !r) return r.error();
  }
  env.recovery_any_ = any_recovery;
  for (auto& [key, v] : env.mistake_times_) std::sort(v.begin(), v.end());
  return env;
}

Nanos DetectorEnvelope::latest_boundary(Nanos t) const {
  auto it = boundaries_.upper_bound(t);
  if (it == boundaries_.begin()) return 0;
  return std::prev(it)->first;
}

std::string DetectorEnvelope::boundary_label(Nanos t) const {
  auto it = boundaries_.find(t);
  return it == boundaries_.end() ? describe_time(t) : it->second + " at " + describe_time(t);
}

const ReferenceRange* DetectorEnvelope::detection(int o, int s, Nanos t0) const {
  auto it = detection_.find(Key{o * n_ + s, t0});
  return it == detection_.end() ? nullptr : &it->second;
}

const ReferenceRange* DetectorEnvelope::recovery(int o, int s, Nanos t1) const {
  auto it = recovery_.find(Key{o * n_ + s, t1});
  return it == recovery_.end() ? nullptr : &it->second;
}

const ReferenceRange* DetectorEnvelope::recovery_fallback(Nanos t1) const {
  if (auto it = recovery_by_time_.find(t1); it != recovery_by_time_.end() && it->second.hits > 0) return &it->second;
  return recovery_any_.hits > 0 ? &recovery_any_ : nullptr;
}

int DetectorEnvelope::class_key(int o, int s, Nanos t) const {
  auto it = std::upper_bound(fault_starts_.begin(), fault_starts_.end(), t);
  const auto k = static_cast<std::size_t>(std::max<std::ptrdiff_t>(0, (it - fault_starts_.begin()) - 1));
  const auto& ids = classes_[k];
  return ids[static_cast<std::size_t>(o)] * 65536 + ids[static_cast<std::size_t>(s)];
}

std::optional<MistakeRange> DetectorEnvelope::mistake(int o, int s, Nanos t, double margin, Nanos slack,
                                                      Nanos window) const {
  // Boundaries at or before t (the latest few), and any within slack after.
  std::vector<Nanos> candidates;
  auto hi = boundaries_.upper_bound(t + slack);
  int before = 0;
  for (auto it = hi; it != boundaries_.begin() && before < 4;) {
    --it;
    candidates.push_back(it->first);
    if (it->first <= t) ++before;
  }
  std::optional<MistakeRange> best;
  for (Nanos b : candidates) {
    for (int level = 0; level < 3; ++level) {
      const auto& map = level == 0 ? mistakes_pair_ : level == 1 ? mistakes_class_ : mistakes_any_;
      auto it = map.find(Key{level == 0 ? o * n_ + s : level == 1 ? class_key(o, s, b) : -1, b});
      if (it == map.end()) continue;
      const MistakeRange& m = it->second;
      // A mistake long after the boundary is not the one the reference made.
      if (t - b > static_cast<Nanos>(static_cast<double>(m.max_offset) * margin) + slack) continue;
      best = m;
      break;  // the closest match
    }
    if (best) break;  // the nearest boundary that explains it
  }
  if (best || window <= 0) return best;
  for (int level = 3; level < 5; ++level) {
    auto it = mistake_times_.find(level == 3 ? o * n_ + s : -1);
    if (it == mistake_times_.end()) continue;
    const auto& v = it->second;
    auto lo = std::lower_bound(v.begin(), v.end(), std::pair<Nanos, Nanos>{t - window, 0});
    for (; lo != v.end() && lo->first <= t + window; ++lo) {
      if (!best) best = MistakeRange{latest_boundary(lo->first), 0, 0, 0, level};
      ++best->trials;
      best->max_duration = std::max(best->max_duration, lo->second);
      best->max_offset = std::max(best->max_offset, lo->first - best->boundary);
    }
    if (best) return best;
  }
  return best;
}

nlohmann::json DetectorEnvelope::summary() const {
  return {{"profile", profile_},
          {"trials", trials_},
          {"simulated_events", events_},
          {"unmodelled_faults", unmodelled_},
          {"mistake_windows", mistakes_pair_.size()}};
}

}  // namespace faultline::checkers
