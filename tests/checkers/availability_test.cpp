// The availability checker on synthetic histories: the windowing (a dip
// exactly at a bound, ops spanning a fault boundary, info ops), recovery
// after a heal, derived bounds, unknown verdicts and config errors.
#include <gtest/gtest.h>

#include <algorithm>

#include "checkers/availability_config.h"
#include "checkers/availability_windows.h"
#include "checkers/checker.h"
#include "common/units.h"

namespace faultline::checkers {
namespace {

using history::ClientEvent;
using history::Event;
using history::FaultEvent;
using history::History;
using history::OpType;
using nlohmann::json;

// Builds a history in memory; events are sorted by time (stable) at the end.
class Builder {
 public:
  Builder() { add(0, history::ClusterEvent{{"n1", "n2", "n3"}}); }
  // One op: invoke at `at`, completion of `type` after `latency` (none if
  // type is kInvoke: the op never completes).
  Builder& op(Nanos at, Nanos latency, OpType type, std::int64_t process = -1) {
    if (process < 0) process = next_process_++;
    add(at, ClientEvent{OpType::kInvoke, process, "read", nullptr, std::nullopt, "n1"});
    if (type != OpType::kInvoke) add(at + latency, ClientEvent{type, process, "read", nullptr, std::nullopt, "n1"});
    return *this;
  }
  // `n` ops evenly over [from, to), each of `latency`, of `type`.
  Builder& ops(Nanos from, Nanos to, std::size_t n, Nanos latency, OpType type) {
    for (std::size_t i = 0; i < n; ++i) op(from + static_cast<Nanos>(i) * (to - from) / static_cast<Nanos>(n), latency, type);
    return *this;
  }
  Builder& fault(const std::string& id, const std::string& kind, Nanos start, Nanos end) {
    FaultEvent s;
    s.phase = FaultEvent::Phase::kStart;
    s.id = id;
    s.fault = {{"kind", kind}};
    s.targets = {"n1"};
    add(start, s);
    if (end >= 0) {
      FaultEvent e;
      e.phase = FaultEvent::Phase::kEnd;
      e.id = id;
      add(end, e);
    }
    return *this;
  }
  Builder& end_at(Nanos t) {
    add(t, history::LogEvent{"end"});
    return *this;
  }
  History build() {
    History h;
    h.nodes = {"n1", "n2", "n3"};
    h.events = events_;
    std::stable_sort(h.events.begin(), h.events.end(), [](const Event& a, const Event& b) { return a.time < b.time; });
    for (std::size_t i = 0; i < h.events.size(); ++i) h.events[i].index = i;
    return h;
  }

 private:
  void add(Nanos t, history::EventBody body) {
    Event e;
    e.time = t;
    e.body = std::move(body);
    events_.push_back(std::move(e));
  }
  std::vector<Event> events_;
  std::int64_t next_process_ = 0;
};

CheckResult run(const History& h, const json& config) {
  auto c = make_checker("availability");
  EXPECT_NE(c, nullptr);
  CheckOptions options;
  options.config = config;
  auto r = c->check(h, options);
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
  return r.ok() ? std::move(r).value() : CheckResult{};
}

std::string config_error(const json& config) {
  auto r = parse_availability_config(config);
  return r.ok() ? "" : r.error().message;
}

// Windows of exactly 1 s, not sliding, so each test controls what each holds.
json fixed(json extra = json::object()) {
  json c{{"window", "1s"}, {"step", "1s"}, {"min_ops", 1}};
  c.update(extra);
  return c;
}

TEST(AvailabilityWindows, NearestRankPercentiles) {
  EXPECT_EQ(nearest_rank(0.99, 100), 98u);  // the 99th smallest of 100
  EXPECT_EQ(nearest_rank(0.99, 101), 99u);  // ceil(99.99) = 100th
  EXPECT_EQ(nearest_rank(0.5, 1), 0u);
  EXPECT_EQ(nearest_rank(0.5, 4), 1u);
  std::vector<ClientOp> ops;
  for (int i = 1; i <= 100; ++i) ops.push_back({i * kMillisecond, i * kMillisecond, OpOutcome::kOk});
  ops.push_back({200 * kMillisecond, 10 * kSecond, OpOutcome::kFail});  // failures carry no latency
  WindowMeter meter({0.5, 0.99});
  auto f = meter.measure(ops.data(), ops.data() + ops.size());
  EXPECT_EQ(f.ops, 101u);
  EXPECT_EQ(f.ok, 100u);
  EXPECT_EQ(f.percentiles[0], 50 * kMillisecond);
  EXPECT_EQ(f.percentiles[1], 99 * kMillisecond);
}

TEST(AvailabilityWindows, SlideVisitsEveryFullWindowAndStops) {
  std::vector<ClientOp> ops;
  for (int i = 0; i < 10; ++i) ops.push_back({i * kSecond / 2, kMillisecond, OpOutcome::kOk});  // 0, 0.5, ... 4.5 s
  std::vector<std::pair<Nanos, std::ptrdiff_t>> seen;
  slide(ops, 0, 5 * kSecond, 2 * kSecond, kSecond, [&](Nanos t, const ClientOp* a, const ClientOp* b) {
    seen.push_back({t, b - a});
    return true;
  });
  // [0,2) [1,3) [2,4) [3,5): four ops each.
  ASSERT_EQ(seen.size(), 4u);
  for (std::size_t i = 0; i < seen.size(); ++i) EXPECT_EQ(seen[i], std::make_pair(static_cast<Nanos>(i) * kSecond, std::ptrdiff_t{4}));
  // A span shorter than one window is one window.
  seen.clear();
  slide(ops, kSecond, 2 * kSecond, 5 * kSecond, kSecond, [&](Nanos t, const ClientOp* a, const ClientOp* b) {
    seen.push_back({t, b - a});
    return true;
  });
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0], std::make_pair(kSecond, std::ptrdiff_t{2}));
}

TEST(AvailabilityChecker, NoClientOpsIsUnknownWithTheReason) {
  auto h = Builder().fault("f1", "partition", 1 * kSecond, 2 * kSecond).end_at(5 * kSecond).build();
  auto r = run(h, json::object());
  EXPECT_EQ(r.valid, Validity::kUnknown) << r.text;
  EXPECT_NE(r.findings["reason"].get<std::string>().find("no client operations"), std::string::npos) << r.text;
  // And the checker does not apply (with no --checker it is not run).
  EXPECT_FALSE(make_checker("availability")->applies(h));
}

TEST(AvailabilityChecker, SuccessRateExactlyAtTheBoundPasses) {
  // Window [1s, 2s): 10 ops, 9 ok: exactly 0.9.
  Builder b;
  b.ops(0, kSecond, 10, kMillisecond, OpType::kOk).ops(kSecond, 2 * kSecond - kSecond / 10, 9, kMillisecond, OpType::kOk).op(2 * kSecond - kSecond / 20, kMillisecond, OpType::kFail);
  b.ops(2 * kSecond, 3 * kSecond, 10, kMillisecond, OpType::kOk).end_at(3 * kSecond);
  auto r = run(b.build(), fixed({{"steady", {{"success_rate", 0.9}, {"p99", "10ms"}}}}));
  EXPECT_EQ(r.valid, Validity::kValid) << r.text;
  EXPECT_EQ(r.findings["steady"]["windows_judged"], 3);

  // One more failure in that window: 0.8 < 0.9, named with its window.
  Builder c;
  c.ops(0, kSecond, 10, kMillisecond, OpType::kOk).ops(kSecond, 2 * kSecond - kSecond / 5, 8, kMillisecond, OpType::kOk);
  c.op(2 * kSecond - kSecond / 10, kMillisecond, OpType::kFail).op(2 * kSecond - kSecond / 20, kMillisecond, OpType::kFail);
  c.ops(2 * kSecond, 3 * kSecond, 10, kMillisecond, OpType::kOk).end_at(3 * kSecond);
  r = run(c.build(), fixed({{"steady", {{"success_rate", 0.9}, {"p99", "10ms"}}}}));
  ASSERT_EQ(r.valid, Validity::kInvalid) << r.text;
  ASSERT_EQ(r.findings["violations"].size(), 1u);
  const auto& v = r.findings["violations"][0];
  EXPECT_EQ(v["rule"], "steady");
  EXPECT_EQ(v["window"], json({1.0, 2.0}));
  EXPECT_EQ(v["measured"]["success_rate"], 0.8);
  EXPECT_EQ(v["bound"]["success_rate"], 0.9);
  EXPECT_NE(v["message"].get<std::string>().find("[1 s, 2 s): success rate 0.800 (8 of 10 ops), bound 0.9"), std::string::npos)
      << v["message"];
}

TEST(AvailabilityChecker, LatencyExactlyAtTheBoundPasses) {
  auto history_with = [](Nanos slow) {
    Builder b;
    b.ops(0, kSecond, 99, kMillisecond, OpType::kOk).op(kSecond - kMillisecond * 5, slow, OpType::kOk).end_at(2 * kSecond);
    return b.build();
  };
  // 100 ops in [0, 1s): the p99 is the 99th smallest; two slow ones make it slow.
  auto config = fixed({{"steady", {{"success_rate", 0.99}, {"p99", "50ms"}}}});
  Builder at;
  at.ops(0, kSecond, 98, kMillisecond, OpType::kOk).op(kSecond / 2 + 1, 50 * kMillisecond, OpType::kOk).op(kSecond / 2 + 2, 50 * kMillisecond, OpType::kOk).end_at(2 * kSecond);
  EXPECT_EQ(run(at.build(), config).valid, Validity::kValid);
  Builder over;
  over.ops(0, kSecond, 98, kMillisecond, OpType::kOk).op(kSecond / 2 + 1, 50 * kMillisecond + 1, OpType::kOk).op(kSecond / 2 + 2, 50 * kMillisecond + 1, OpType::kOk).end_at(2 * kSecond);
  auto r = run(over.build(), config);
  EXPECT_EQ(r.valid, Validity::kInvalid) << r.text;
  EXPECT_NE(r.text.find("p99 50.000001ms of 100 ok ops, bound 50ms"), std::string::npos) << r.text;
  // One slow op of 100 is not the p99.
  EXPECT_EQ(run(history_with(80 * kMillisecond), config).valid, Validity::kValid);
}

TEST(AvailabilityChecker, LatencyIsJudgedOnlyWithEnoughOpsForThePercentile) {
  // 99 ok ops, three of them slow: the nearest-rank p99 of 99 is the maximum,
  // so the window is not judged on p99; with 100 it is.
  auto config = fixed({{"steady", {{"success_rate", 0.99}, {"p99", "50ms"}}}});
  Builder b;
  b.ops(0, kSecond, 96, kMillisecond, OpType::kOk).op(kSecond / 2 + 1, 80 * kMillisecond, OpType::kOk).op(kSecond / 2 + 2, 80 * kMillisecond, OpType::kOk);
  b.op(kSecond / 2 + 3, 80 * kMillisecond, OpType::kOk).end_at(2 * kSecond);
  EXPECT_EQ(run(b.build(), config).valid, Validity::kValid);
  b.op(kSecond / 2 + 4, kMillisecond, OpType::kOk);
  EXPECT_EQ(run(b.build(), config).valid, Validity::kInvalid);
  // Derived: a baseline with 200 ops per window gives a p99 bound of the
  // larger of 2x and 5ms more than its worst window's p99.
  Builder d;
  d.ops(0, 10 * kSecond, 2000, 3 * kMillisecond, OpType::kOk).end_at(10 * kSecond);
  auto r = run(d.build(), json::object());
  EXPECT_EQ(r.valid, Validity::kValid) << r.text;
  EXPECT_EQ(r.findings["config"]["derived"], json({"success_rate", "p99"}));
  EXPECT_EQ(r.findings["config"]["steady"]["p99"], "8ms");
}

TEST(AvailabilityChecker, InfoOpsCountAsFailures) {
  Builder b;
  b.ops(0, kSecond, 8, kMillisecond, OpType::kOk).op(kSecond / 2 + 3, kMillisecond, OpType::kInfo).op(kSecond / 2 + 4, kMillisecond, OpType::kInfo).end_at(2 * kSecond);
  auto r = run(b.build(), fixed({{"steady", {{"success_rate", 0.85}}}}));
  EXPECT_EQ(r.valid, Validity::kInvalid) << r.text;
  EXPECT_EQ(r.findings["ops"]["info"], 2);
  EXPECT_EQ(r.findings["violations"][0]["measured"]["success_rate"], 0.8);
  // An invoke that never completes, long before the end, is an info op too;
  // one cut off by the end of the history (within a window of it) is not judged.
  Builder c;
  c.ops(0, kSecond, 9, kMillisecond, OpType::kOk).op(kSecond / 2 + 3, 0, OpType::kInvoke).op(5 * kSecond + kSecond / 2, 0, OpType::kInvoke).end_at(6 * kSecond);
  r = run(c.build(), fixed({{"steady", {{"success_rate", 0.95}}}}));
  EXPECT_EQ(r.findings["ops"]["never_completed"], 1);
  EXPECT_EQ(r.findings["ops"]["unfinished"], 1);
  EXPECT_EQ(r.valid, Validity::kInvalid) << r.text;  // 9 of 10 in [0, 1s)
}

// A cas whose compare did not match fails as an answer, not a refusal: with
// fail_means: answered it counts as served, and is still reported as a fail.
TEST(AvailabilityChecker, FailMeansAnsweredCountsFailsAsServed) {
  Builder b;
  b.ops(0, kSecond, 6, kMillisecond, OpType::kOk).ops(kSecond / 2 + 3, kSecond, 4, kMillisecond, OpType::kFail).end_at(2 * kSecond);
  auto r = run(b.build(), fixed({{"steady", {{"success_rate", 0.9}}}}));
  EXPECT_EQ(r.valid, Validity::kInvalid) << r.text;
  r = run(b.build(), fixed({{"steady", {{"success_rate", 0.9}}}, {"fail_means", "answered"}}));
  EXPECT_EQ(r.valid, Validity::kValid) << r.text;
  EXPECT_EQ(r.findings["ops"]["fail"], 4);
  EXPECT_NE(config_error({{"fail_means", "maybe"}}).find("fail_means"), std::string::npos);
}

TEST(AvailabilityChecker, OpsSpanningAFaultBoundaryBelongToTheFault) {
  // Steady ok ops; the fault f1 runs [2s, 4s). An op invoked at 1.9s that fails
  // at 2.5s overlaps the fault: it is the fault's, not the baseline's. An op
  // invoked at 3.9s that fails at 4.6s is the fault's too, not the recovery's.
  Builder b;
  b.ops(0, 2 * kSecond - kSecond / 5, 18, kMillisecond, OpType::kOk).op(2 * kSecond - kSecond / 10, 600 * kMillisecond, OpType::kFail);
  b.ops(2 * kSecond, 4 * kSecond - kSecond / 5, 9, kMillisecond, OpType::kFail).op(4 * kSecond - kSecond / 10, 700 * kMillisecond, OpType::kFail);
  b.ops(4 * kSecond, 8 * kSecond, 40, kMillisecond, OpType::kOk).fault("f1", "partition", 2 * kSecond, 4 * kSecond).end_at(8 * kSecond);
  auto r = run(b.build(), fixed({{"steady", {{"success_rate", 1.0}, {"p99", "10ms"}}}, {"recovery_time", "1s"}}));
  EXPECT_EQ(r.valid, Validity::kValid) << r.text;
  const auto& f = r.findings["faults"][0];
  EXPECT_EQ(f["ops"], 11);  // 9 inside, 2 across its edges
  EXPECT_EQ(f["ok"], 0);
  EXPECT_EQ(r.findings["baseline"]["ops"], 18);
  EXPECT_EQ(f["recovery"]["recovery_s"], 0.0);
  EXPECT_EQ(r.findings["recovery_times_s"]["f1"], 0.0);
  EXPECT_EQ(r.findings["properties"]["recovery.f1"], "0.000");
  // A during bound judges the fault's windows: [2s, 3s) holds 5 ops + the one from 1.9s.
  r = run(b.build(), fixed({{"steady", {{"success_rate", 1.0}}}, {"during", {{"partition", {{"success_rate", 0.5}}}}}}));
  ASSERT_EQ(r.valid, Validity::kInvalid) << r.text;
  EXPECT_EQ(r.findings["violations"][0]["rule"], "during");
  EXPECT_EQ(r.findings["violations"][0]["fault"], "f1");
  EXPECT_EQ(r.findings["violations"][0]["measured"]["ops"], 6);
  // A bound for another kind does not apply to a partition.
  r = run(b.build(), fixed({{"steady", {{"success_rate", 1.0}}}, {"during", {{"kill", {{"success_rate", 0.5}}}}}}));
  EXPECT_EQ(r.valid, Validity::kValid) << r.text;
}

// A fault [10s, 20s); ops fail from 10s until `back`, then succeed.
History slow_recovery(Nanos back, Nanos end = 40 * kSecond) {
  Builder b;
  b.ops(0, 10 * kSecond, 200, kMillisecond, OpType::kOk);
  const Nanos fail_until = std::min(back, end);
  b.ops(10 * kSecond, fail_until, static_cast<std::size_t>((fail_until - 10 * kSecond) / (50 * kMillisecond)), kMillisecond, OpType::kFail);
  if (back < end) b.ops(back, end, static_cast<std::size_t>((end - back) / (50 * kMillisecond)), kMillisecond, OpType::kOk);
  b.fault("f1", "partition", 10 * kSecond, 20 * kSecond).end_at(end);
  return b.build();
}

TEST(AvailabilityChecker, RecoveryTimeAfterTheHealIsMeasuredAndBounded) {
  auto h = slow_recovery(27 * kSecond);
  auto r = run(h, {{"window", "1s"}, {"step", "100ms"}, {"recovery_time", "5s"}});
  ASSERT_EQ(r.valid, Validity::kInvalid) << r.text;
  EXPECT_EQ(r.findings["recovery_times_s"]["f1"], 7.0);
  EXPECT_EQ(r.findings["faults"][0]["recovery"]["recovered_at_s"], 27.0);
  EXPECT_EQ(r.findings["recovery"]["valid"], false);
  const auto message = r.findings["violations"][0]["message"].get<std::string>();
  EXPECT_NE(message.find("after f1 (partition n1, healed at 20 s): success rate back above 0.95 only at 27 s (7 s after "
                         "the heal); bound 5 s"),
            std::string::npos)
      << message;
  // Derived from the all-ok baseline: 0.95 of it. Its windows hold 20 ops,
  // too few for a p99 (100): no latency bound is derived.
  EXPECT_EQ(r.findings["config"]["steady"]["success_rate"], 0.95);
  EXPECT_EQ(r.findings["config"]["derived"], json({"success_rate"}));
  EXPECT_NE(r.findings["config"]["note"].get<std::string>().find("no steady latency bound"), std::string::npos);
  // Per kind: a partition may take 10 s.
  r = run(h, {{"recovery_time", {{"partition", "10s"}, {"default", "1s"}}}});
  EXPECT_EQ(r.valid, Validity::kValid) << r.text;
  EXPECT_EQ(r.findings["recovery_times_s"]["f1"], 7.0);
}

TEST(AvailabilityChecker, RecoveryCutShortByTheNextFaultIsUnknown) {
  // Still failing when the history ends 3 s after the heal: within the 5 s bound, not judged.
  auto r = run(slow_recovery(30 * kSecond, 23 * kSecond), {{"recovery_time", "5s"}});
  EXPECT_EQ(r.valid, Validity::kUnknown) << r.text;
  EXPECT_EQ(r.findings["faults"][0]["recovery"]["valid"], "unknown");
  // 8 s after the heal, past the bound: a violation.
  r = run(slow_recovery(30 * kSecond, 28 * kSecond), {{"recovery_time", "5s"}});
  EXPECT_EQ(r.valid, Validity::kInvalid) << r.text;
  EXPECT_NE(r.text.find("not back within the steady bound"), std::string::npos) << r.text;
  EXPECT_EQ(r.findings["properties"]["recovery.f1"], "not recovered");
}

TEST(AvailabilityChecker, BoundsCannotBeDerivedWithoutABaseline) {
  Builder b;
  b.ops(0, 10 * kSecond, 100, kMillisecond, OpType::kOk).fault("f1", "kill", 0, 5 * kSecond).end_at(10 * kSecond);
  auto r = run(b.build(), json::object());
  EXPECT_EQ(r.valid, Validity::kUnknown) << r.text;
  EXPECT_NE(r.findings["reason"].get<std::string>().find("cannot derive"), std::string::npos) << r.text;
  // Given bounds need no baseline.
  r = run(b.build(), {{"steady", {{"success_rate", 0.99}, {"p99", "10ms"}}}});
  EXPECT_EQ(r.valid, Validity::kValid) << r.text;
}

TEST(AvailabilityChecker, OverlappingFaultsShareTheLastHealsRecovery) {
  Builder b;
  b.ops(0, 30 * kSecond, 600, kMillisecond, OpType::kOk);
  b.fault("f1", "kill", 5 * kSecond, 15 * kSecond).fault("f2", "clock-skew", 8 * kSecond, 12 * kSecond).end_at(30 * kSecond);
  auto r = run(b.build(), json::object());
  EXPECT_EQ(r.valid, Validity::kValid) << r.text;
  EXPECT_EQ(r.findings["faults"][1]["recovery"]["masked_by"], "f1");
  EXPECT_EQ(r.findings["recovery_times_s"]["f1"], 0.0);
  EXPECT_EQ(r.findings["recovery_times_s"]["f2"], 0.0);
}

TEST(AvailabilityConfig, UnknownKeysAreRefusedWithASuggestion) {
  EXPECT_NE(config_error({{"windw", "1s"}}).find("unknown field \"windw\"; did you mean \"window\"?"), std::string::npos)
      << config_error({{"windw", "1s"}});
  EXPECT_NE(config_error({{"steady", {{"sucess_rate", 0.9}}}}).find("availability.steady: unknown field \"sucess_rate\"; did you mean \"success_rate\"?"),
            std::string::npos);
  EXPECT_NE(config_error({{"during", {{"partiton", {{"success_rate", 0.5}}}}}}).find("did you mean \"partition\"?"),
            std::string::npos);
  EXPECT_NE(config_error({{"during", {{"kill", {{"p98", "1s"}}}}}}).find("availability.during.kill: unknown field \"p98\""),
            std::string::npos);
  EXPECT_NE(config_error({{"recovery_time", {{"partition", "5s"}, {"defualt", "1s"}}}}).find("did you mean \"default\"?"),
            std::string::npos);
  EXPECT_NE(config_error({{"steady", {{"success_rate", 1.5}}}}).find("between 0 and 1"), std::string::npos);
  EXPECT_NE(config_error({{"recovery_time", "soon"}}).find("availability.recovery_time"), std::string::npos)
      << config_error({{"recovery_time", "soon"}});
  EXPECT_NE(config_error({{"window", "1s"}, {"step", "2s"}}).find("longer than the window"), std::string::npos);
  auto ok = parse_availability_config(json::parse(R"({"steady": {"success_rate": 0.99, "p99": "50ms"},
      "during": {"success_rate": 0.5, "partition": {"success_rate": 0.6}}, "recovery_time": "5s", "window": "2s"})"));
  ASSERT_TRUE(ok.ok()) << ok.error().message;
  EXPECT_EQ(ok->step, 200 * kMillisecond);
  EXPECT_EQ(ok->during_for("partition").success_rate, 0.6);
  EXPECT_EQ(ok->during_for("kill").success_rate, 0.5);
  EXPECT_EQ(ok->steady.latency.at(0).limit, 50 * kMillisecond);
}

TEST(AvailabilityChecker, RunsFromTheRegistryAndTheRunner) {
  Builder b;
  b.ops(0, 5 * kSecond, 100, kMillisecond, OpType::kOk).end_at(5 * kSecond);
  RunOptions options;
  options.config = {{"availability", {{"window", "1s"}}}};
  auto report = run_checkers(b.build(), options);
  ASSERT_TRUE(report.ok()) << report.error().message;
  // With no --checker, every checker with events runs: availability among them.
  bool seen = false;
  for (const auto& [name, result] : report->results)
    if (name == "availability") {
      seen = true;
      EXPECT_EQ(result.events, 200u);
      EXPECT_EQ(result.valid, Validity::kValid) << result.text;
    }
  EXPECT_TRUE(seen);
}

}  // namespace
}  // namespace faultline::checkers
