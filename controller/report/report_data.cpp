// report_data(): the series the page draws, computed once in C++ and
// downsampled so a 100k+-event history gives a page of bounded size.
#include <algorithm>
#include <map>

#include "controller/output/validity.h"
#include "controller/report/report.h"

namespace faultline::controller {
namespace {

using namespace history;
using nlohmann::json;

constexpr std::size_t kMaxLatencyPoints = 4000;
constexpr std::size_t kMaxSpans = 5000;
constexpr std::size_t kMaxBuckets = 600;

double secs(Nanos ns) { return static_cast<double>(ns) / 1e9; }

// Bucket width for per-time-unit series: 1 s, or wider so there are at most
// kMaxBuckets buckets.
Nanos bucket_width(Nanos end) {
  Nanos width = 1'000'000'000;
  while (end / width + 1 > static_cast<Nanos>(kMaxBuckets)) width *= 2;
  return width;
}

// Calls fn(invoke time, completion time, completion) for every client
// operation, pairing each completion with its process's pending invoke.
template <typename Fn>
void for_each_client_op(const History& history, Fn&& fn) {
  std::map<std::int64_t, Nanos> pending;
  for (const auto& e : history.events) {
    const auto* c = std::get_if<ClientEvent>(&e.body);
    if (!c) continue;
    if (c->type == OpType::kInvoke) {
      pending[c->process] = e.time;
      continue;
    }
    auto it = pending.find(c->process);
    if (it == pending.end()) continue;
    fn(it->second, e.time, *c);
    pending.erase(it);
  }
}

json series(const std::map<Nanos, double>& counts, Nanos width, Nanos end) {
  json points = json::array();
  const double per_second = 1e9 / static_cast<double>(width);
  for (Nanos b = 0; b <= end / width; ++b) {
    auto it = counts.find(b);
    points.push_back({{"x", secs(b * width + width / 2)}, {"y", it == counts.end() ? 0.0 : it->second * per_second}});
  }
  return points;
}

// Spans of a state per row (detector statuses, breaker states): a span runs
// from one change to the next; the last one to the end of the history.
// Zero-length spans are dropped.
class Spans {
 public:
  void change(const std::string& row, Nanos at, const std::string& state) {
    auto it = open_.find(row);
    if (it != open_.end()) {
      if (it->second.second == state) return;
      close(row, it->second, at);
    }
    open_[row] = {at, state};
  }
  // A row's state before its first change is known (a breaker starts closed).
  void first(const std::string& row, Nanos at, const std::string& state) {
    if (!open_.count(row)) open_[row] = {at, state};
  }
  json finish(Nanos end, bool& truncated) {
    for (const auto& [row, s] : open_) close(row, s, end);
    open_.clear();
    std::stable_sort(spans_.begin(), spans_.end(),
                     [](const json& a, const json& b) { return a["start"].get<double>() < b["start"].get<double>(); });
    truncated = spans_.size() > kMaxSpans;
    if (truncated) spans_.erase(spans_.begin() + static_cast<std::ptrdiff_t>(kMaxSpans), spans_.end());
    return spans_;
  }

 private:
  void close(const std::string& row, const std::pair<Nanos, std::string>& s, Nanos until) {
    if (until <= s.first) return;
    spans_.push_back({{"row", row}, {"start", secs(s.first)}, {"end", secs(until)}, {"kind", s.second}});
  }
  std::map<std::string, std::pair<Nanos, std::string>> open_;
  json spans_ = json::array();
};

std::string event_type(const Event& e) {
  return std::visit(
      [](const auto& b) -> std::string {
        using T = std::decay_t<decltype(b)>;
        if constexpr (std::is_same_v<T, ClientEvent>) return to_string(b.type);
        else if constexpr (std::is_same_v<T, DetectorEvent>) return "detector";
        else if constexpr (std::is_same_v<T, BreakerEvent>) return "breaker";
        else if constexpr (std::is_same_v<T, RetryEvent>) return "retry";
        else if constexpr (std::is_same_v<T, FaultEvent>) return "fault";
        else if constexpr (std::is_same_v<T, LogEvent>) return "log";
        else if constexpr (std::is_same_v<T, ClusterEvent>) return "cluster";
        else return b.type;
      },
      e.body);
}

json faults_of(const History& history) {
  json faults = json::array();
  std::map<std::string, std::size_t> open;
  const Nanos end = history.end_time();
  for (const auto& e : history.events) {
    const auto* f = std::get_if<FaultEvent>(&e.body);
    if (!f) continue;
    if (f->phase == FaultEvent::Phase::kStart) {
      json j{{"id", f->id}, {"kind", f->kind()}, {"start", secs(e.time)}, {"end", secs(end)},
             {"targets", f->targets}, {"fault", f->fault}, {"ended", false}};
      if (!f->grudge.empty()) j["grudge"] = f->grudge;
      if (auto it = open.find(f->id); it != open.end()) faults[it->second]["end"] = secs(e.time);
      open[f->id] = faults.size();
      faults.push_back(std::move(j));
    } else if (auto it = open.find(f->id); it != open.end()) {
      faults[it->second]["end"] = secs(e.time);
      faults[it->second]["ended"] = true;
      open.erase(it);
    }
  }
  return faults;
}

json client_of(const History& history, Nanos width) {
  struct Point {
    double x, y;
    const char* type;
    std::string f;
  };
  std::vector<Point> points;
  std::map<Nanos, double> ok_counts, fail_counts;
  const Nanos end = history.end_time();
  for_each_client_op(history, [&](Nanos invoked, Nanos completed, const ClientEvent& c) {
    points.push_back({secs(invoked), std::max(0.001, static_cast<double>(completed - invoked) / 1e6), to_string(c.type), c.f});
    (c.type == OpType::kOk ? ok_counts : fail_counts)[completed / width] += 1;
  });
  // Downsample: keep every failed/indeterminate op (they matter), then an even
  // stride of the ok ones, up to kMaxLatencyPoints in all.
  std::size_t not_ok = 0;
  for (const auto& p : points) not_ok += std::string_view(p.type) != "ok";
  const std::size_t ok = points.size() - not_ok;
  const std::size_t ok_budget = kMaxLatencyPoints > not_ok ? kMaxLatencyPoints - not_ok : kMaxLatencyPoints / 4;
  const std::size_t ok_stride = ok > ok_budget ? (ok + ok_budget - 1) / ok_budget : 1;
  const std::size_t bad_stride = not_ok > kMaxLatencyPoints ? (not_ok + kMaxLatencyPoints / 2 - 1) / (kMaxLatencyPoints / 2) : 1;
  json latency = json::array();
  std::size_t ok_seen = 0, bad_seen = 0;
  for (const auto& p : points) {
    const bool is_ok = std::string_view(p.type) == "ok";
    if (is_ok ? (ok_seen++ % ok_stride) : (bad_seen++ % bad_stride)) continue;
    latency.push_back({{"x", p.x}, {"y", p.y}, {"type", p.type}, {"f", p.f}});
  }
  json out{{"latency", latency}, {"ops", points.size()}, {"sampled", latency.size() < points.size()}};
  out["throughput"] = points.empty() ? json::array() : series(ok_counts, width, end);
  out["failures"] = points.empty() ? json::array() : series(fail_counts, width, end);
  return out;
}

// The availability checker's view, when it ran: the clients' success rate
// per bucket (ops by invoke time; info a failure, and fail too unless
// fail_means: answered, as the checker counts them), its steady-state bound and each fault's recovery interval
// (heal -> recovered, or -> the next fault / the end when it never did).
json availability_of(const History& history, const checkers::CheckReport* check, Nanos width) {
  if (!check) return nullptr;
  const checkers::CheckResult* result = nullptr;
  for (const auto& [name, r] : check->results)
    if (name == "availability") result = &r;
  if (!result || !result->findings.is_object() || !result->findings.contains("faults")) return nullptr;
  const bool fail_is_answer = result->findings.contains("config") &&
                              result->findings["config"].value("fail_means", std::string()) == "answered";
  std::map<Nanos, std::pair<double, double>> buckets;  // ok, all
  for_each_client_op(history, [&](Nanos invoked, Nanos, const ClientEvent& c) {
    auto& b = buckets[invoked / width];
    b.first += c.type == OpType::kOk || (fail_is_answer && c.type == OpType::kFail);
    b.second += 1;
  });
  json rate = json::array();
  for (const auto& [b, counts] : buckets)
    rate.push_back({{"x", secs(b * width + width / 2)}, {"y", counts.first / counts.second}});
  const auto& f = result->findings;
  json out{{"rate", rate}, {"valid", validity_json(result->valid)}};
  if (f.contains("config") && f["config"].contains("steady") && f["config"]["steady"].contains("success_rate"))
    out["bound"] = f["config"]["steady"]["success_rate"];
  json recoveries = json::array();
  for (const auto& fault : f["faults"]) {
    if (!fault.contains("recovery") || fault["recovery"].contains("masked_by") || !fault["recovery"].contains("healed_at_s"))
      continue;
    const auto& r = fault["recovery"];
    const bool recovered = r.contains("recovered_at_s") && r["recovered_at_s"].is_number();
    recoveries.push_back({{"id", fault["id"]},
                          {"start", r["healed_at_s"]},
                          {"end", recovered ? r["recovered_at_s"] : json(secs(history.end_time()))},
                          {"recovered", recovered},
                          {"valid", r.value("valid", json("unknown"))}});
  }
  out["recoveries"] = recoveries;
  return out;
}

}  // namespace

nlohmann::json report_data(const History& history, const checkers::CheckReport* check, const nlohmann::json& metadata) {
  json data;
  data["metadata"] = metadata;
  data["nodes"] = history.nodes;
  const Nanos end = history.end_time();
  data["end"] = secs(end);
  data["events"] = history.events.size();
  data["faults"] = faults_of(history);
  if (data["nodes"].empty()) {  // no cluster event: the nodes faults name
    std::vector<std::string> nodes;
    for (const auto& f : data["faults"])
      for (const auto& t : f["targets"]) nodes.push_back(t.get<std::string>());
    std::sort(nodes.begin(), nodes.end());
    nodes.erase(std::unique(nodes.begin(), nodes.end()), nodes.end());
    data["nodes"] = nodes;
  }

  const Nanos width = bucket_width(end);
  data["bucket"] = secs(width);
  std::map<std::string, std::map<Nanos, double>> rate_counts;
  Spans detector, breaker;
  for (const auto& e : history.events) {
    if (const auto* d = std::get_if<DetectorEvent>(&e.body)) {
      detector.change(d->node + " → " + d->subject, e.time, to_string(d->status));
    } else if (const auto* b = std::get_if<BreakerEvent>(&e.body)) {
      const std::string row = b->node + " / " + b->name;
      if (b->event == BreakerEvent::Kind::kTransition) breaker.change(row, e.time, to_string(b->to));
      else breaker.first(row, e.time, "closed");  // first sight of a breaker: closed until a transition
    }
    if (std::holds_alternative<FaultEvent>(e.body) || std::holds_alternative<ClusterEvent>(e.body) ||
        std::holds_alternative<LogEvent>(e.body))
      continue;
    rate_counts[event_type(e)][e.time / width] += 1;
  }
  json rates = json::object();
  for (const auto& [type, counts] : rate_counts) rates[type] = series(counts, width, end);
  data["rates"] = rates;
  bool truncated = false;
  data["detector"] = detector.finish(end, truncated);
  data["detector_truncated"] = truncated;
  data["breaker"] = breaker.finish(end, truncated);
  data["breaker_truncated"] = truncated;
  data["client"] = client_of(history, width);
  data["availability"] = availability_of(history, check, width);

  // The detector checker's reference envelope (docs/detector.md): per pair,
  // the reference's range and what the SUT was allowed, drawn over the
  // statuses on the same rows.
  json envelope = json::array();
  if (check)
    for (const auto& [name, result] : check->results) {
      if (name != "detector" || !result.findings.is_object()) continue;
      auto rows = result.findings.find("envelope");
      if (rows == result.findings.end() || !rows->is_array()) continue;
      for (const auto& r : *rows) {
        if (envelope.size() >= kMaxSpans || !r.contains("at") || !r["at"].is_number_integer()) continue;
        const std::string row = r.value("observer", std::string()) + " → " + r.value("subject", std::string());
        const Nanos at = r["at"].get<Nanos>();
        const std::string what = r.value("what", std::string());
        const std::string info = what + ": " + r.value("verdict", std::string("-"));
        if (auto ref = r.find("reference"); ref != r.end() && ref->contains("min") && ref->contains("max"))
          envelope.push_back({{"row", row}, {"start", secs(at + (*ref)["min"].get<Nanos>())},
                              {"end", secs(at + std::max<Nanos>((*ref)["max"].get<Nanos>(), 1'000'000))},
                              {"kind", "reference range"}, {"info", info}});
        if (auto allowed = r.find("allowed"); allowed != r.end() && allowed->is_number_integer())
          envelope.push_back({{"row", row}, {"start", secs(at)}, {"end", secs(at + allowed->get<Nanos>())},
                              {"kind", "reference allows"}, {"info", info}});
      }
    }
  data["detector_envelope"] = envelope;

  json checkers_json = json::array();
  if (check)
    for (const auto& [name, result] : check->results)
      checkers_json.push_back({{"name", name}, {"valid", validity_json(result.valid)}, {"text", result.text}});
  data["checkers"] = checkers_json;
  data["valid"] = check ? validity_json(check->valid) : json("unknown");
  return data;
}

}  // namespace faultline::controller
