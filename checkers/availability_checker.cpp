#include "checkers/availability_checker.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <optional>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "checkers/availability_config.h"
#include "checkers/availability_windows.h"
#include "checkers/findings.h"

namespace faultline::checkers {
namespace {

using history::FaultEvent;
using nlohmann::json;

constexpr double kDerivedRateFactor = 0.95;
constexpr double kDerivedLatencyFactor = 2.0;
constexpr Nanos kDerivedLatencyFloor = 5'000'000;  // 5ms more than the worst baseline window, at least

double seconds(Nanos ns) { return static_cast<double>(ns) / 1e9; }
// "42.1 s", "0.25 s": at most three decimals, no trailing zeros.
std::string at_s(Nanos ns) {
  std::string s = fmt::format("{:.3f}", seconds(ns));
  while (s.back() == '0') s.pop_back();
  if (s.back() == '.') s.pop_back();
  return s + " s";
}
std::string window_text(Nanos t, Nanos width) { return fmt::format("[{}, {})", at_s(t), at_s(t + width)); }
double round3(double v) { return std::round(v * 1000.0) / 1000.0; }
// A latency for messages: "470.4ms", "50.000001ms", "2s".
std::string latency_text(Nanos ns) {
  if (ns < 1'000'000 || ns % 1'000'000 == 0) return format_duration(ns);
  std::string s = fmt::format("{:.6f}", static_cast<double>(ns) / 1e6);
  while (s.back() == '0') s.pop_back();
  return s + "ms";
}
// A window's q-quantile is judged only with at least 1/(1-q) ok latencies
// (p99: 100): with fewer, the nearest rank is the window's maximum.
std::size_t ok_needed(double q) { return q >= 1.0 ? 1 : static_cast<std::size_t>(std::ceil(1.0 / (1.0 - q) - 1e-9)); }
double ms(Nanos ns) { return round3(static_cast<double>(ns) / 1e6); }

struct Fault {
  std::string id, kind;
  std::vector<std::string> targets;
  Nanos start = 0, end = 0;
  bool healed = false;
  std::size_t line = 0;
  // "f3 (partition n1)", or with `more` inside: "f3 (partition n1, healed at 42.1 s)".
  std::string label(const std::string& more = "") const {
    std::string t;
    for (const auto& n : targets) t += (t.empty() ? " " : ",") + n;
    return fmt::format("{} ({}{}{})", id, kind.empty() ? "?" : kind, t, more.empty() ? "" : ", " + more);
  }
};

std::vector<Fault> faults_of(const history::History& h) {
  std::vector<Fault> out;
  std::map<std::string, std::size_t> open;
  for (const auto& e : h.events) {
    const auto* f = std::get_if<FaultEvent>(&e.body);
    if (!f) continue;
    if (f->phase == FaultEvent::Phase::kStart) {
      if (auto it = open.find(f->id); it != open.end()) {  // restarted without an end: the first ends here
        out[it->second].end = e.time;
        out[it->second].healed = true;
      }
      open[f->id] = out.size();
      out.push_back({f->id, f->kind(), f->targets, e.time, h.end_time(), false, e.line});
    } else if (auto it = open.find(f->id); it != open.end()) {
      out[it->second].end = e.time;
      out[it->second].healed = true;
      open.erase(it);
    }
  }
  std::stable_sort(out.begin(), out.end(), [](const Fault& a, const Fault& b) { return a.start < b.start; });
  return out;
}

// Quantiles the meter computes: p50, p99 (always reported) and every bound's.
struct Quantiles {
  std::vector<double> qs;
  std::size_t index(double q) const {
    return static_cast<std::size_t>(std::find(qs.begin(), qs.end(), q) - qs.begin());
  }
};

struct Judgement {
  bool ok = true;
  bool rate_ok = true, latency_ok = true;
  std::string why;  // "success rate 0.9 (54 of 60 ops), bound 0.95; p99 80ms, bound 20ms"
};

Judgement judge(const WindowFigures& f, const AvailabilityBound& bound, const Quantiles& q) {
  Judgement j;
  if (bound.success_rate && static_cast<double>(f.ok) < *bound.success_rate * static_cast<double>(f.ops) - 1e-9) {
    j.rate_ok = false;
    j.why = fmt::format("success rate {:.3f} ({} of {} ops), bound {}", f.success_rate, f.ok, f.ops, *bound.success_rate);
  }
  for (const auto& l : bound.latency) {
    const Nanos v = f.percentiles[q.index(l.q)];
    if (f.ok >= ok_needed(l.q) && v > l.limit) {
      j.latency_ok = false;
      j.why += fmt::format("{}{} {} of {} ok ops, bound {}", j.why.empty() ? "" : "; ", l.name, latency_text(v), f.ok,
                           latency_text(l.limit));
    }
  }
  j.ok = j.rate_ok && j.latency_ok;
  return j;
}

std::string bound_text(const AvailabilityBound& b) {
  std::string s;
  if (b.success_rate) s = fmt::format("success rate >= {}", *b.success_rate);
  for (const auto& l : b.latency) s += fmt::format("{}{} <= {}", s.empty() ? "" : ", ", l.name, latency_text(l.limit));
  return s.empty() ? "none" : s;
}

json figures_json(const WindowFigures& f, const Quantiles& q) {
  json j{{"ops", f.ops}, {"ok", f.ok}, {"success_rate", round3(f.success_rate)}};
  for (const auto& [name, value] : latency_quantiles()) {
    auto i = q.index(value);
    if (i < q.qs.size() && f.ok > 0) j[name + "_ms"] = ms(f.percentiles[i]);
  }
  return j;
}

json window_json(Nanos t, Nanos width, const WindowFigures& f, const Quantiles& q) {
  json j = figures_json(f, q);
  j["start_s"] = round3(seconds(t));
  j["end_s"] = round3(seconds(t + width));
  return j;
}

struct AvailabilityViolation {
  std::string rule;  // steady, during, recovery
  std::string fault;
  Nanos time = 0, width = 0;
  json measured, bound;
  std::string message;
};

// Consecutive violating windows, reported once with the worst of them.
struct OutageRun {
  bool open = false;
  Nanos first = 0, last = 0;
  std::size_t windows = 0;
  WindowFigures worst;
  Nanos worst_t = 0;
  std::string why;

  // Adds the failing window at t; the worst is the lowest success rate, then
  // the highest p99 (percentile index p99).
  void add(Nanos t, const WindowFigures& f, const std::string& reason, std::size_t p99) {
    if (!open) {
      open = true;
      first = t;
    }
    last = t;
    if (++windows == 1 || f.success_rate < worst.success_rate ||
        (f.success_rate == worst.success_rate && f.percentiles[p99] > worst.percentiles[p99])) {
      worst = f;
      worst_t = t;
      why = reason;
    }
  }
};

class AvailabilityChecker : public Checker {
 public:
  std::string name() const override { return "availability"; }

  bool applies(const history::History& h) const override {
    return std::any_of(h.events.begin(), h.events.end(),
                       [](const history::Event& e) { return std::holds_alternative<history::ClientEvent>(e.body); });
  }

  Result<CheckResult> check(const history::History& h, const CheckOptions& options) override {
    auto parsed = parse_availability_config(options.config);
    if (!parsed) return parsed.error();
    AvailabilityConfig config = std::move(parsed).value();
    const Nanos W = config.window, S = config.step;
    const auto min_ops = static_cast<std::size_t>(config.min_ops);

    ClientOps client = collect_client_ops(h, W, config.fail_is_answer);
    const Nanos end = h.end_time();
    json ops_json{{"total", client.ops.size()}, {"ok", client.ok},      {"fail", client.fail},
                  {"info", client.info},        {"never_completed", client.never_completed},
                  {"unfinished", client.unfinished}, {"orphan_completions", client.orphans}};
    if (client.ops.empty()) {
      CheckResult r;
      r.valid = Validity::kUnknown;
      const std::string reason =
          client.events == 0
              ? "no client operations in the history: nothing tells what a client of the system felt (a suite "
                "needs a client: workload)"
              : fmt::format("no judgeable client operations ({} client events; {} invokes cut off by the end of the "
                            "history, {} completions without an invoke)",
                            client.events, client.unfinished, client.orphans);
      r.findings = {{"valid", "unknown"}, {"reason", reason}, {"ops", ops_json}};
      r.text = "availability: unknown (" + reason + ")";
      return r;
    }

    Quantiles q;
    q.qs = {0.5, 0.99};
    auto add_q = [&](const AvailabilityBound& b) {
      for (const auto& l : b.latency) q.qs.push_back(l.q);
    };
    add_q(config.steady);
    add_q(config.during);
    for (const auto& [k, b] : config.during_by_kind) add_q(b);
    std::sort(q.qs.begin(), q.qs.end());
    q.qs.erase(std::unique(q.qs.begin(), q.qs.end()), q.qs.end());
    WindowMeter meter(q.qs);
    const std::size_t p99 = q.index(0.99);

    std::size_t visited = 0;
    bool timed_out = false;
    auto deadline_passed = [&] {
      if ((++visited & 0x3ff) == 0 && options.deadline > 0 && monotonic_now() > options.deadline) timed_out = true;
      return timed_out;
    };

    // Faults, grouped into runs of overlapping windows, and the clean ops.
    std::vector<Fault> faults = faults_of(h);
    struct Group {
      Nanos start, end;
      std::vector<std::size_t> members;
    };
    std::vector<Group> groups;
    for (std::size_t i = 0; i < faults.size(); ++i) {
      if (!groups.empty() && faults[i].start < groups.back().end) {
        groups.back().end = std::max(groups.back().end, faults[i].end);
        groups.back().members.push_back(i);
      } else {
        groups.push_back({faults[i].start, faults[i].end, {i}});
      }
    }
    std::vector<ClientOp> clean;
    clean.reserve(client.ops.size());
    Nanos max_latency = 0;
    {
      std::size_t g = 0;
      for (const auto& op : client.ops) {
        max_latency = std::max(max_latency, op.latency);
        while (g < groups.size() && groups[g].end <= op.at) ++g;
        const bool overlaps = g < groups.size() && groups[g].start < op.done() && op.at < groups[g].end;
        if (!overlaps) clean.push_back(op);
      }
    }

    std::vector<AvailabilityViolation> violations;
    std::map<std::string, std::size_t> by_rule;
    auto violate = [&](AvailabilityViolation v) {
      ++by_rule[v.rule];
      if (violations.size() < kMaxListed) violations.push_back(std::move(v));
    };

    // Baseline and derived steady bounds.
    const Nanos baseline_end = groups.empty() ? end : groups.front().start;
    WindowFigures baseline_all;
    std::optional<std::pair<Nanos, WindowFigures>> worst_rate, worst_p99;
    std::size_t baseline_windows = 0, max_baseline_ok = 0;
    {
      auto lo = std::lower_bound(clean.begin(), clean.end(), baseline_end, [](const ClientOp& op, Nanos t) { return op.at < t; });
      baseline_all = meter.measure(clean.data(), clean.data() + (lo - clean.begin()));
      slide(clean, 0, baseline_end, W, S, [&](Nanos t, const ClientOp* a, const ClientOp* b) {
        if (static_cast<std::size_t>(b - a) < min_ops) return !deadline_passed();
        ++baseline_windows;
        auto f = meter.measure(a, b);
        max_baseline_ok = std::max(max_baseline_ok, f.ok);
        if (!worst_rate || f.success_rate < worst_rate->second.success_rate) worst_rate = {t, f};
        if (f.ok >= ok_needed(0.99) && (!worst_p99 || f.percentiles[p99] > worst_p99->second.percentiles[p99]))
          worst_p99 = {t, f};
        return !deadline_passed();
      });
    }
    std::vector<std::string> derived;
    AvailabilityBound steady = config.steady;
    std::string underivable, latency_note;
    if (!steady.success_rate) {
      if (worst_rate) {
        steady.success_rate = round3(worst_rate->second.success_rate * kDerivedRateFactor);
        derived.push_back("success_rate");
      } else {
        underivable = "success_rate";
      }
    }
    if (steady.latency.empty()) {
      if (worst_p99) {
        const Nanos w = worst_p99->second.percentiles[p99];
        // Rounded up to 0.1ms so the bound reads well.
        Nanos limit = std::max(static_cast<Nanos>(static_cast<double>(w) * kDerivedLatencyFactor), w + kDerivedLatencyFloor);
        limit = (limit + 99'999) / 100'000 * 100'000;
        steady.latency.push_back({"p99", 0.99, limit});
        derived.push_back("p99");
      } else {
        latency_note = fmt::format("no steady latency bound: none given, and no baseline window held the {} ok ops a "
                                   "p99 needs (windows of {} hold at most {})",
                                   ok_needed(0.99), format_duration(W), max_baseline_ok);
      }
    }

    json config_json{{"window", format_duration(W)},
                     {"step", format_duration(S)},
                     {"min_ops", config.min_ops},
                     {"steady", steady.to_json()},
                     {"derived", derived},
                     {"during", config.during.to_json()},
                     {"recovery_time", format_duration(config.recovery_time)},
                     {"fail_means", config.fail_is_answer ? "answered" : "unavailable"}};
    if (!latency_note.empty()) config_json["note"] = latency_note;
    for (const auto& [k, b] : config.during_by_kind) config_json["during_by_kind"][k] = b.to_json();
    for (const auto& [k, d] : config.recovery_by_kind) config_json["recovery_time_by_kind"][k] = format_duration(d);

    json baseline_json = figures_json(baseline_all, q);
    baseline_json["start_s"] = 0.0;
    baseline_json["end_s"] = round3(seconds(baseline_end));
    baseline_json["windows_judged"] = baseline_windows;
    if (worst_rate) baseline_json["worst_success_window"] = window_json(worst_rate->first, W, worst_rate->second, q);
    if (worst_p99) baseline_json["worst_p99_window"] = window_json(worst_p99->first, W, worst_p99->second, q);

    if (!underivable.empty()) {
      CheckResult r;
      r.valid = Validity::kUnknown;
      const std::string reason = fmt::format(
          "cannot derive the steady-state {} bound: no window of at least {} ops (min_ops) before the first fault{} "
          "({} clean ops there); give availability.steady",
          underivable, config.min_ops,
          groups.empty() ? "" : fmt::format(" at {}", at_s(groups.front().start)), baseline_all.ops);
      r.findings = {{"valid", "unknown"}, {"reason", reason}, {"ops", ops_json}, {"baseline", baseline_json},
                    {"config", config_json}};
      r.text = "availability: unknown (" + reason + ")";
      return r;
    }

    // Judges the steady windows of [from, to) (clean ops), in runs.
    std::size_t steady_windows = 0;
    auto check_steady = [&](Nanos from, Nanos to, const std::string& phase) {
      OutageRun run;
      auto flush = [&] {
        if (!run.open) return;
        AvailabilityViolation v;
        v.rule = "steady";
        v.time = run.worst_t;
        v.width = W;
        v.measured = window_json(run.worst_t, W, run.worst, q);
        v.bound = steady.to_json();
        v.message = fmt::format("steady state {}: {} window(s) from {} to {} below the bound; worst {}: {}", phase,
                                run.windows, at_s(run.first), at_s(run.last + W), window_text(run.worst_t, W), run.why);
        violate(std::move(v));
        run = OutageRun{};
      };
      slide(clean, from, to, W, S, [&](Nanos t, const ClientOp* a, const ClientOp* b) {
        if (static_cast<std::size_t>(b - a) < min_ops) return !deadline_passed();
        ++steady_windows;
        auto f = meter.measure(a, b);
        auto j = judge(f, steady, q);
        if (j.ok) flush();
        else run.add(t, f, j.why, p99);
        return !deadline_passed();
      });
      flush();
    };
    check_steady(0, baseline_end, groups.empty() ? "(no faults)" : "before the first fault");

    // During each fault.
    json faults_json = json::array();
    std::vector<ClientOp> placed;
    bool during_judged_any = false;
    for (auto& f : faults) {
      placed.clear();
      auto first = std::lower_bound(client.ops.begin(), client.ops.end(), f.start - max_latency,
                                    [](const ClientOp& op, Nanos t) { return op.at < t; });
      for (auto it = first; it != client.ops.end() && it->at < f.end; ++it)
        if (it->done() > f.start) placed.push_back({std::max(it->at, f.start), it->latency, it->outcome});
      std::stable_sort(placed.begin(), placed.end(), [](const ClientOp& a, const ClientOp& b) { return a.at < b.at; });
      const auto& bound = config.during_for(f.kind);
      WindowFigures all = meter.measure(placed.data(), placed.data() + placed.size());
      std::optional<std::pair<Nanos, WindowFigures>> worst;
      std::size_t windows = 0;
      OutageRun run;
      auto flush = [&] {
        if (!run.open) return;
        AvailabilityViolation v;
        v.rule = "during";
        v.fault = f.id;
        v.time = run.worst_t;
        v.width = W;
        v.measured = window_json(run.worst_t, W, run.worst, q);
        v.bound = bound.to_json();
        v.message = fmt::format("during {} ({} to {}): {} window(s) from {} to {} below the bound; worst {}: {}",
                                f.label(), at_s(f.start), f.healed ? at_s(f.end) : "the end", run.windows,
                                at_s(run.first), at_s(std::min(run.last + W, f.end)), window_text(run.worst_t, W), run.why);
        violate(std::move(v));
        run = OutageRun{};
      };
      slide(placed, f.start, f.end, W, S, [&](Nanos t, const ClientOp* a, const ClientOp* b) {
        if (static_cast<std::size_t>(b - a) < min_ops) return !deadline_passed();
        ++windows;
        auto fig = meter.measure(a, b);
        if (!worst || fig.success_rate < worst->second.success_rate) worst = {t, fig};
        if (!bound.empty()) {
          during_judged_any = true;
          auto j = judge(fig, bound, q);
          if (j.ok) flush();
          else run.add(t, fig, j.why, p99);
        }
        return !deadline_passed();
      });
      flush();
      json fj = figures_json(all, q);
      fj["id"] = f.id;
      fj["kind"] = f.kind;
      fj["targets"] = f.targets;
      fj["start_s"] = round3(seconds(f.start));
      fj["end_s"] = round3(seconds(f.end));
      fj["healed"] = f.healed;
      fj["windows_judged"] = windows;
      if (worst) fj["worst_window"] = window_json(worst->first, W, worst->second, q);
      fj["during_bound"] = bound.empty() ? json(nullptr) : bound.to_json();
      if (f.line > 0) fj["line"] = f.line;
      faults_json.push_back(std::move(fj));
    }

    // Recovery after each group's last heal, then the steady state until the next group.
    json recovery_times = json::object();
    json properties = json::object();
    std::size_t recoveries_judged = 0, recoveries_unjudged = 0;
    Nanos longest = -1;
    std::vector<std::string> unjudged_notes;
    for (std::size_t g = 0; g < groups.size(); ++g) {
      const auto& group = groups[g];
      const Nanos H = group.end;
      const Nanos next = g + 1 < groups.size() ? groups[g + 1].start : end;
      const std::string next_name =
          g + 1 < groups.size() ? fmt::format("the next fault {} began", faults[groups[g + 1].members.front()].id)
                                : std::string("the history ended");
      std::vector<std::size_t> healed_here, masked;
      bool unhealed = false;
      for (auto i : group.members) {
        if (!faults[i].healed) unhealed = true;
        else if (faults[i].end == H) healed_here.push_back(i);
        else masked.push_back(i);
      }
      auto set_recovery = [&](std::size_t i, json rec) { faults_json[i]["recovery"] = std::move(rec); };
      if (unhealed || healed_here.empty()) {
        for (auto i : group.members)
          set_recovery(i, {{"valid", "unknown"}, {"note", "the fault (or one overlapping it) never ended: no recovery to measure"}});
        ++recoveries_unjudged;
        unjudged_notes.push_back(fmt::format("{} never healed", faults[group.members.front()].id));
        continue;
      }
      // The loosest recovery bound of the faults healed at H judges the group.
      Nanos bound_ns = 0;
      std::string kinds;
      for (auto i : healed_here) {
        bound_ns = std::max(bound_ns, config.recovery_for(faults[i].kind));
        kinds += (kinds.empty() ? "" : " and ") + faults[i].label("healed at " + at_s(H));
      }
      std::optional<Nanos> recovered;
      std::optional<Nanos> rate_back, latency_back;
      std::optional<std::pair<Nanos, WindowFigures>> best;
      Judgement last_bad;
      bool saw_bad = false;
      slide(clean, H, next, W, S, [&](Nanos t, const ClientOp* a, const ClientOp* b) {
        if (static_cast<std::size_t>(b - a) < min_ops) return !deadline_passed();
        auto f = meter.measure(a, b);
        auto j = judge(f, steady, q);
        if (j.rate_ok && !rate_back) rate_back = t;
        if (j.latency_ok && !latency_back) latency_back = t;
        if (!best || f.success_rate > best->second.success_rate) best = {t, f};
        if (j.ok) {
          recovered = t;
          return false;
        }
        last_bad = j;
        saw_bad = true;
        return !deadline_passed();
      });
      json rec{{"healed_at_s", round3(seconds(H))}, {"bound_s", round3(seconds(bound_ns))}};
      // When each criterion alone was first met (the recovery needs both in one window).
      rec["success_rate_back_at_s"] = rate_back ? json(round3(seconds(*rate_back))) : json(nullptr);
      rec["latency_back_at_s"] = latency_back ? json(round3(seconds(*latency_back))) : json(nullptr);
      if (!masked.empty()) {
        std::vector<std::string> ids;
        for (auto i : masked) ids.push_back(faults[i].id);
        rec["covers"] = ids;
      }
      AvailabilityViolation v;
      v.rule = "recovery";
      v.time = H;
      v.width = W;
      v.bound = {{"recovery_time_s", round3(seconds(bound_ns))}, {"steady", steady.to_json()}};
      const std::string head = "after " + kinds;
      if (recovered) {
        const Nanos took = *recovered - H;
        longest = std::max(longest, took);
        ++recoveries_judged;
        rec["recovered_at_s"] = round3(seconds(*recovered));
        rec["recovery_s"] = round3(seconds(took));
        rec["valid"] = took <= bound_ns;
        for (auto i : healed_here) {
          recovery_times[faults[i].id] = round3(seconds(took));
          properties["recovery." + faults[i].id] = fmt::format("{:.3f}", seconds(took));
        }
        for (auto i : masked) {
          recovery_times[faults[i].id] = round3(seconds(took));
          properties["recovery." + faults[i].id] = fmt::format("{:.3f}", seconds(took));
        }
        if (took > bound_ns) {
          std::string what;
          if (saw_bad && !last_bad.rate_ok) what = fmt::format("success rate back above {}", *steady.success_rate);
          if (saw_bad && !last_bad.latency_ok)
            what += (what.empty() ? "" : " and ") + fmt::format("latency back within {}", bound_text({std::nullopt, steady.latency}));
          if (what.empty()) what = fmt::format("a window of at least {} ops back within the steady bound", config.min_ops);
          v.measured = {{"recovery_s", round3(seconds(took))}, {"recovered_at_s", round3(seconds(*recovered))}};
          if (saw_bad) v.measured["last_bad_window"] = last_bad.why;
          v.message = fmt::format("{}: {} only at {} ({} after the heal); bound {}{}", head, what, at_s(*recovered),
                                  at_s(took), at_s(bound_ns), saw_bad ? " (last window below it: " + last_bad.why + ")" : "");
          v.fault = faults[healed_here.front()].id;
          violate(std::move(v));
        }
        check_steady(*recovered, next, fmt::format("after {} recovered at {}", faults[healed_here.front()].id, at_s(*recovered)));
      } else {
        const Nanos gap = next - H;
        rec["recovered_at_s"] = nullptr;
        rec["recovery_s"] = nullptr;
        std::string best_text = best ? fmt::format("; best window {}: success rate {:.3f} ({} of {} ops)",
                                                   window_text(best->first, W), best->second.success_rate,
                                                   best->second.ok, best->second.ops)
                                     : fmt::format("; no window of at least {} ops", config.min_ops);
        if (gap > bound_ns) {
          rec["valid"] = false;
          rec["note"] = fmt::format("not recovered before {} at {}", next_name, at_s(next));
          for (auto i : healed_here) properties["recovery." + faults[i].id] = "not recovered";
          v.fault = faults[healed_here.front()].id;
          v.measured = {{"recovery_s", nullptr}, {"observed_s", round3(seconds(gap))}};
          v.message = fmt::format("{}: not back within the steady bound ({}) before {} at {} ({} after the heal); bound {}{}",
                                  head, bound_text(steady), next_name, at_s(next), at_s(gap), at_s(bound_ns), best_text);
          violate(std::move(v));
        } else {
          rec["valid"] = "unknown";
          rec["note"] = fmt::format("not judged: {} {} after the heal, within the recovery bound {}", next_name,
                                    at_s(gap), at_s(bound_ns));
          ++recoveries_unjudged;
          unjudged_notes.push_back(fmt::format("{}: {}", faults[healed_here.front()].id, rec["note"].get<std::string>()));
        }
      }
      for (auto i : healed_here) set_recovery(i, rec);
      for (auto i : masked) {
        json m = rec;
        m["masked_by"] = faults[healed_here.front()].id;
        set_recovery(i, std::move(m));
      }
    }

    if (timed_out) {
      CheckResult r;
      r.valid = Validity::kUnknown;
      r.findings = {{"valid", "unknown"}, {"reason", "timed out"}};
      r.text = "availability: unknown (timed out)";
      return r;
    }

    auto count = [&](const char* rule) { return by_rule.count(rule) ? by_rule[rule] : 0; };
    std::size_t total = 0;
    for (const auto& [rule, n] : by_rule) total += n;
    json listed = json::array();
    for (const auto& v : violations) {
      json j{{"rule", v.rule}, {"time", v.time}, {"window", {round3(seconds(v.time)), round3(seconds(v.time + v.width))}},
             {"measured", v.measured}, {"bound", v.bound}, {"message", v.message}};
      if (!v.fault.empty()) j["fault"] = v.fault;
      listed.push_back(std::move(j));
    }
    const bool recovery_unknown = recoveries_unjudged > 0 && count("recovery") == 0;
    json recovery_json{{"valid", count("recovery") > 0 ? json(false) : recovery_unknown ? json("unknown") : json(true)},
                       {"judged", recoveries_judged},
                       {"unjudged", recoveries_unjudged},
                       {"violations", count("recovery")}};
    if (longest >= 0) recovery_json["longest_s"] = round3(seconds(longest));
    if (!unjudged_notes.empty()) recovery_json["notes"] = unjudged_notes;
    if (longest >= 0) properties["recovery.longest"] = fmt::format("{:.3f}", seconds(longest));

    CheckResult r;
    r.valid = total > 0 ? Validity::kInvalid : recovery_unknown ? Validity::kUnknown : Validity::kValid;
    r.findings = {{"valid", to_json(r.valid)},
                  {"config", config_json},
                  {"ops", ops_json},
                  {"baseline", baseline_json},
                  {"faults", faults_json},
                  {"recovery_times_s", recovery_times},
                  {"steady", {{"valid", count("steady") == 0}, {"windows_judged", steady_windows}, {"violations", count("steady")}}},
                  {"during", {{"valid", count("during") == 0}, {"judged", during_judged_any}, {"violations", count("during")}}},
                  {"recovery", recovery_json},
                  {"violation_count", total},
                  {"violations", listed},
                  {"properties", properties}};
    if (r.valid == Validity::kUnknown)
      r.findings["reason"] = fmt::format("recovery not judged: {}", fmt::join(unjudged_notes, "; "));

    std::string recov;
    for (const auto& [id, s] : recovery_times.items()) recov += fmt::format("{}{} {:.1f} s", recov.empty() ? "" : ", ", id, s.get<double>());
    const std::string summary = fmt::format("{} ops, {} faults; steady {}{}; recovery {}", client.ops.size(), faults.size(),
                                            bound_text(steady), derived.empty() ? "" : " (derived)",
                                            recov.empty() ? "none measured" : recov);
    if (total == 0) {
      r.text = fmt::format("availability: {} ({})", r.valid == Validity::kValid ? "valid" : "unknown", summary);
      if (r.valid == Validity::kUnknown) r.text += "\n  " + r.findings["reason"].get<std::string>();
    } else {
      r.text = fmt::format("availability: INVALID: {} violation(s) ({})", total, summary);
      for (std::size_t i = 0; i < violations.size() && i < 10; ++i)
        r.text += fmt::format("\n  {}: {}", violations[i].rule, violations[i].message);
    }
    return r;
  }
};

}  // namespace

std::unique_ptr<Checker> make_availability_checker() { return std::make_unique<AvailabilityChecker>(); }

}  // namespace faultline::checkers
