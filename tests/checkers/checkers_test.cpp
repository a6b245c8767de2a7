// The detector, breaker and retry checkers on the hand-written histories in
// data/: each property of each checker has a passing and a failing case.
#include <gtest/gtest.h>

#include "checkers/breaker_checker.h"
#include "checkers/checker.h"
#include "checkers/retry_checker.h"
#include "checkers/history/reader.h"

namespace faultline::checkers {
namespace {

const nlohmann::json kConfig = nlohmann::json::parse(R"({
  "breaker":  {"profile": "faultline", "policy": "consecutive", "failure_threshold": 2, "recovery_timeout": "1s",
               "half_open_max_calls": 1, "success_threshold": 1, "tolerance": "5ms"},
  "detector": {"detection_bound": "3s", "recovery_bound": "2s", "strict_accuracy": true},
  "retry":    {"profile": "faultline", "max_attempts": 4, "base_delay": "100ms", "multiplier": 2, "max_delay": "300ms",
               "jitter": "none", "tolerance": "1ms"}
})");

history::History load(const std::string& name) {
  auto h = history::read_history_file(std::string(FAULTLINE_CHECKERS_DATA) + "/" + name);
  EXPECT_TRUE(h.ok()) << (h.ok() ? "" : h.error().message);
  return h.ok() ? std::move(h).value() : history::History{};
}

CheckResult check_history(const std::string& checker, const history::History& h, nlohmann::json config = kConfig) {
  auto c = make_checker(checker);
  EXPECT_NE(c, nullptr);
  CheckOptions options;
  if (config.contains(checker)) options.config = config[checker];
  auto r = c->check(h, options);
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
  return r.ok() ? std::move(r).value() : CheckResult{};
}

CheckResult check(const std::string& checker, const std::string& file, nlohmann::json config = kConfig) {
  return check_history(checker, load(file), std::move(config));
}

// The violations' names (property or rule) in order.
std::vector<std::string> kinds(const CheckResult& r, const char* list, const char* field) {
  std::vector<std::string> out;
  for (const auto& v : r.findings[list]) out.push_back(v[field].get<std::string>());
  return out;
}

// ---- detector ----

TEST(DetectorChecker, CompleteAccurateAndRecoveredIsValid) {
  auto r = check("detector", "detector_ok.jsonl");
  EXPECT_EQ(r.valid, Validity::kValid) << r.text;
  // QoS: n1 suspected n3 1s after the kill, n2 1.5s after it.
  bool seen = false;
  for (const auto& p : r.findings["qos"]["pairs"]) {
    if (p["observer"] == "n1" && p["subject"] == "n3") {
      EXPECT_EQ(p["T_D_mean"], 1'000'000'000);
      EXPECT_EQ(p["detections"], 1);
      EXPECT_EQ(p["mistakes"], 0);
      seen = true;
    }
  }
  EXPECT_TRUE(seen);
}

TEST(DetectorChecker, LateDeathIsACompletenessViolation) {
  auto r = check("detector", "detector_completeness_fail.jsonl");
  ASSERT_EQ(r.valid, Validity::kInvalid);
  EXPECT_EQ(kinds(r, "violations", "property"), std::vector<std::string>{"completeness"});
  const auto& v = r.findings["violations"][0];
  EXPECT_EQ(v["observer"], "n2");
  EXPECT_EQ(v["subject"], "n3");
  EXPECT_EQ(v["time"], 8'000'000'000);  // 5s + 3s
  EXPECT_NE(v["message"].get<std::string>().find("n3 killed by f1"), std::string::npos) << v["message"];
}

TEST(DetectorChecker, LateAliveIsARecoveryViolation) {
  auto r = check("detector", "detector_recovery_fail.jsonl");
  ASSERT_EQ(r.valid, Validity::kInvalid);
  EXPECT_EQ(kinds(r, "violations", "property"), std::vector<std::string>{"recovery"});
  EXPECT_EQ(r.findings["violations"][0]["time"], 17'000'000'000);
}

TEST(DetectorChecker, SuspectingAReachableNodeIsAnAccuracyViolation) {
  auto r = check("detector", "detector_accuracy_fail.jsonl");
  ASSERT_EQ(r.valid, Validity::kInvalid);
  EXPECT_EQ(kinds(r, "violations", "property"), std::vector<std::string>{"accuracy"});
  const auto& v = r.findings["violations"][0];
  EXPECT_EQ(v["observer"], "n1");
  EXPECT_EQ(v["subject"], "n2");
  EXPECT_EQ(v["line"], 9);
  // The same history without strict accuracy: a mistake, not a violation.
  auto lax = kConfig;
  lax["detector"]["strict_accuracy"] = false;
  auto r2 = check("detector", "detector_accuracy_fail.jsonl", lax);
  EXPECT_EQ(r2.valid, Validity::kValid) << r2.text;
  EXPECT_EQ(r2.findings["mistake_count"], 1);
}

TEST(DetectorChecker, SuspicionDuringLossIsAMistakeNotAViolation) {
  auto r = check("detector", "detector_accuracy_degraded_ok.jsonl");
  EXPECT_EQ(r.valid, Validity::kValid) << r.text;
  ASSERT_EQ(r.findings["mistakes"].size(), 1u);
  EXPECT_EQ(r.findings["mistakes"][0]["during"], "f2 (loss)");
  EXPECT_EQ(r.findings["mistakes"][0]["violation"], false);
  // QoS: one mistake of 1s.
  for (const auto& p : r.findings["qos"]["pairs"]) {
    if (p["observer"] == "n1" && p["subject"] == "n2") {
      EXPECT_EQ(p["T_M"], 1'000'000'000);
    }
  }
}

// A death declared during a delay is excused as a mistake, but it must not
// outlive the fault: n1 still holds n2 dead 2s (recovery_bound) after the
// delay ended; n3 recovered in time.
TEST(DetectorChecker, MistakeOutlivingItsDegradedFaultIsARecoveryViolation) {
  auto r = check("detector", "detector_degraded_lasting_fail.jsonl");
  ASSERT_EQ(r.valid, Validity::kInvalid) << r.text;
  EXPECT_EQ(kinds(r, "violations", "property"), std::vector<std::string>{"recovery"});
  const auto& v = r.findings["violations"][0];
  EXPECT_EQ(v["observer"], "n1");
  EXPECT_EQ(v["subject"], "n2");
  EXPECT_EQ(v["time"], 14'000'000'000);  // 12s + 2s
  EXPECT_NE(v["message"].get<std::string>().find("the end of f2 (delay)"), std::string::npos) << v["message"];
  EXPECT_EQ(r.findings["mistakes"].size(), 2u);  // both excused as mistakes during f2
  // While another delay on n2 still runs, the end of the first owes nothing.
  auto h = load("detector_degraded_lasting_fail.jsonl");
  history::Event overlap = h.events[1];
  std::get<history::FaultEvent>(overlap.body).id = "f3";
  h.events.insert(h.events.begin() + 2, overlap);
  auto c = make_checker("detector");
  CheckOptions options;
  options.config = kConfig["detector"];
  auto still = c->check(h, options);
  ASSERT_TRUE(still.ok());
  EXPECT_EQ(still->valid, Validity::kValid) << still->text;
}

TEST(DetectorChecker, PartitionGrudgeMakesBothSidesUnreachable) {
  auto ok = check("detector", "detector_partition_ok.jsonl");
  EXPECT_EQ(ok.valid, Validity::kValid) << ok.text;
  auto bad = check("detector", "detector_partition_fail.jsonl");
  ASSERT_EQ(bad.valid, Validity::kInvalid);
  EXPECT_EQ(kinds(bad, "violations", "property"), std::vector<std::string>{"completeness"});
  EXPECT_EQ(bad.findings["violations"][0]["observer"], "n3");
  EXPECT_EQ(bad.findings["violations"][0]["subject"], "n2");
}

TEST(DetectorChecker, OneWayGrudgeMakesANodeThatCannotBeReachedUnreachable) {
  // n3 drops what n1 and n2 send (it can reach them, they cannot reach it):
  // no round trip either way, so each side owes a death declaration.
  auto ok = check("detector", "detector_oneway_ok.jsonl");
  EXPECT_EQ(ok.valid, Validity::kValid) << ok.text;
  auto bad = check("detector", "detector_oneway_fail.jsonl");
  ASSERT_EQ(bad.valid, Validity::kInvalid) << bad.text;
  EXPECT_EQ(kinds(bad, "violations", "property"), std::vector<std::string>{"completeness"});
  EXPECT_EQ(bad.findings["violations"][0]["observer"], "n1");
  EXPECT_EQ(bad.findings["violations"][0]["subject"], "n3");
}

TEST(DetectorChecker, OneWayRingIsReachableAndItsSuspicionsAreMistakes) {
  // n1 drops n2, n2 drops n3, n3 drops n1: each still reaches each the other
  // way round, so no death is owed; a suspicion there is a mistake of a
  // degraded (one-way) partition, not an accuracy violation.
  auto r = check("detector", "detector_oneway_ring.jsonl");
  EXPECT_EQ(r.valid, Validity::kValid) << r.text;
  ASSERT_EQ(r.findings["mistakes"].size(), 1u) << r.findings.dump();
  EXPECT_EQ(r.findings["mistakes"][0]["during"], "p1 (partition, one-way)");
}

TEST(DetectorChecker, BridgeNodeKeepsBothEndsInOneComponent) {
  // n1 and n3 drop each other but both talk to n2: one component, reachable.
  auto ok = check("detector", "detector_bridge_ok.jsonl");
  EXPECT_EQ(ok.valid, Validity::kValid) << ok.text;
  auto bad = check("detector", "detector_bridge_fail.jsonl");
  ASSERT_EQ(bad.valid, Validity::kInvalid);
  EXPECT_EQ(kinds(bad, "violations", "property"), std::vector<std::string>{"accuracy"});
}

TEST(DetectorChecker, SilentObserverViolatesCompleteness) {
  // Every cluster node observes, whether or not it reports: n2 never reports.
  auto h = load("detector_ok.jsonl");
  std::erase_if(h.events, [](const history::Event& e) {
    const auto* d = std::get_if<history::DetectorEvent>(&e.body);
    return d && d->node == "n2";
  });
  auto r = check_history("detector", h);
  EXPECT_EQ(r.valid, Validity::kInvalid);
  EXPECT_EQ(r.findings["violations"][0]["observer"], "n2");
}

TEST(DetectorChecker, DeadlinesAfterTheEndAreUnjudged) {
  auto h = load("detector_ok.jsonl");
  // Cut the history at 6s: n2's deadline (8s) lies after its end.
  std::erase_if(h.events, [](const history::Event& e) { return e.time > 6'000'000'000; });
  auto c = make_checker("detector");
  CheckOptions options;
  options.config = kConfig["detector"];
  auto r = c->check(h, options);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->valid, Validity::kValid) << r->text;
  EXPECT_EQ(r->findings["unjudged"], 2);
}

TEST(DetectorChecker, UnconfiguredIsUnknownAndAProfileReplaysTheReference) {
  auto r = check("detector", "detector_ok.jsonl", nlohmann::json::object());
  EXPECT_EQ(r.valid, Validity::kUnknown) << r.text;
  r = check("detector", "detector_ok.jsonl", {{"detector", {{"kind", "swim"}}}});
  EXPECT_EQ(r.findings["bounds"]["source"], "replay of the reference") << r.findings["bounds"];
  EXPECT_EQ(r.findings["reference"]["profile"], "swim");
  // A history whose observer took 9s to see a kill is then judged incomplete
  // by a heartbeat detector of 2s timeout.
  auto h = load("detector_completeness_fail.jsonl");
  for (auto& e : h.events)
    if (auto* d = std::get_if<history::DetectorEvent>(&e.body); d && d->node == "n2" && d->status == history::DetectorStatus::kDead)
      e.time = 14'000'000'000;  // 9s after the kill
  auto c = make_checker("detector");
  CheckOptions options;
  options.config = {{"kind", "heartbeat"}, {"timeout", "2s"}, {"heartbeat_interval", "500ms"}};
  auto hb = c->check(h, options);
  ASSERT_TRUE(hb.ok()) << hb.error().message;
  EXPECT_EQ(hb->valid, Validity::kInvalid) << hb->text;
}

TEST(DetectorChecker, BadConfigNamesTheField) {
  auto c = make_checker("detector");
  CheckOptions options;
  options.config = {{"detection_bound", "soon"}};
  auto r = c->check(load("detector_ok.jsonl"), options);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("detector.detection_bound"), std::string::npos) << r.error().message;
  options.config = {{"detection_bond", "3s"}};
  r = c->check(load("detector_ok.jsonl"), options);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("unknown field \"detection_bond\""), std::string::npos) << r.error().message;
}

// ---- breaker ----

TEST(BreakerChecker, ReferenceBehaviourIsValid) {
  auto r = check("breaker", "breaker_ok.jsonl");
  EXPECT_EQ(r.valid, Validity::kValid) << r.text;
  EXPECT_EQ(r.findings["calls"], 6);
  EXPECT_EQ(r.findings["transitions"], 3);
}

TEST(BreakerChecker, UnlimitedHalfOpenDivergesAtTheSecondTrial) {
  auto r = check("breaker", "breaker_unlimited_half_open.jsonl");
  ASSERT_EQ(r.valid, Validity::kInvalid);
  const auto& d = r.findings["divergences"][0];
  EXPECT_EQ(d["kind"], "decision");
  EXPECT_EQ(d["expected"], "rejected");
  EXPECT_EQ(d["actual"], "permitted");
  EXPECT_EQ(d["reference_state"], "half_open");
  EXPECT_EQ(d["line"], 10);
  EXPECT_EQ(d["breaker"], "n1/peer-n2");
  EXPECT_GE(d["context"].size(), 4u);  // the events around it
}

TEST(BreakerChecker, EarlyRecoveryBeyondToleranceDiverges) {
  // breaker-wall-clock: half-open 510ms before the recovery timeout.
  auto r = check("breaker", "breaker_wall_clock.jsonl");
  ASSERT_EQ(r.valid, Validity::kInvalid);
  const auto& d = r.findings["divergences"][0];
  EXPECT_EQ(d["kind"], "decision");
  EXPECT_EQ(d["reference_state"], "open");
  EXPECT_EQ(d["time"], 1'600'000'000);
  EXPECT_NE(d["message"].get<std::string>().find("admits from 2110ms"), std::string::npos) << d["message"];
}

TEST(BreakerChecker, WithinToleranceOfTheBoundaryMayGoEitherWay) {
  auto r = check("breaker", "breaker_boundary_ok.jsonl");
  EXPECT_EQ(r.valid, Validity::kValid) << r.text;
  EXPECT_EQ(r.findings["boundary_calls"], 1);
  auto strict = kConfig;
  strict["breaker"]["tolerance"] = "1ms";
  EXPECT_EQ(check("breaker", "breaker_boundary_ok.jsonl", strict).valid, Validity::kInvalid);
}

TEST(BreakerChecker, MissingTransitionDiverges) {
  auto r = check("breaker", "breaker_missing_transition.jsonl");
  ASSERT_EQ(r.valid, Validity::kInvalid);
  const auto& d = r.findings["divergences"][0];
  EXPECT_EQ(d["kind"], "transition");
  EXPECT_EQ(d["expected"], "closed->open");
  EXPECT_EQ(d["actual"], "no transition");
  EXPECT_EQ(d["line"], 5);  // the failure that trips it
}

TEST(BreakerChecker, StaleResultMustChangeNothing) {
  EXPECT_EQ(check("breaker", "breaker_stale_ok.jsonl").valid, Validity::kValid);
  auto r = check("breaker", "breaker_stale_fail.jsonl");
  ASSERT_EQ(r.valid, Validity::kInvalid);
  const auto& d = r.findings["divergences"][0];
  EXPECT_EQ(d["kind"], "transition");
  EXPECT_EQ(d["actual"], "half_open->open");
  EXPECT_EQ(d["line"], 11);
}

TEST(BreakerChecker, RatePolicyReplays) {
  // The same history judged under a rate policy that never trips on 2 results.
  auto rate = kConfig;
  rate["breaker"] = {{"profile", "faultline"}, {"policy", "rate"}, {"window_size", 10}, {"minimum_calls", 10}, {"failure_rate_threshold", 50}};
  auto r = check("breaker", "breaker_ok.jsonl", rate);
  ASSERT_EQ(r.valid, Validity::kInvalid);
  EXPECT_EQ(r.findings["divergences"][0]["expected"], "no transition");
  EXPECT_EQ(r.findings["divergences"][0]["actual"], "closed->open");
  // Window of 2, both failures: trips like the consecutive policy.
  rate["breaker"] = {{"profile", "faultline"}, {"policy", "rate"}, {"window_size", 2}, {"minimum_calls", 2}, {"failure_rate_threshold", 100}};
  EXPECT_EQ(check("breaker", "breaker_ok.jsonl", rate).valid, Validity::kValid);
}

TEST(BreakerChecker, ATransitionMayBeLoggedJustBeforeTheResultThatCausesIt) {
  // gobreaker's OnStateChange fires inside the library, before the wrapper
  // logs the result that tripped (or closed) it.
  nlohmann::json config = {{"breaker", {{"profile", "gobreaker"}, {"failure_threshold", 2}, {"recovery_timeout", "1s"}}}};
  auto r = check("breaker", "breaker_transition_before_result.jsonl", config);
  EXPECT_EQ(r.valid, Validity::kValid) << r.text;
  // The same transition before a result that cannot cause it is a divergence.
  auto h = load("breaker_transition_before_result.jsonl");
  std::get<history::BreakerEvent>(h.events[5].body).success = true;
  auto wrong = check_history("breaker", h, config);
  ASSERT_EQ(wrong.valid, Validity::kInvalid) << wrong.text;
  EXPECT_EQ(wrong.findings["divergences"][0]["actual"], "closed->open");
  EXPECT_EQ(wrong.findings["divergences"][0]["line"], 5);
}

TEST(BreakerChecker, ABreakerThatTurnsHalfOpenByItselfMustShowIt) {
  // resilience4j with automaticTransitionFromOpenToHalfOpenEnabled: the
  // transition comes at the boundary (here 2ms late), without a call.
  nlohmann::json config = {{"breaker", {{"profile", "faultline"}, {"failure_threshold", 1}, {"recovery_timeout", "1s"},
                                        {"half_open_entry", "timer"}}}};
  auto r = check("breaker", "breaker_timer.jsonl", config);
  EXPECT_EQ(r.valid, Validity::kValid) << r.text;
  auto h = load("breaker_timer.jsonl");
  h.events.erase(h.events.begin() + 4);  // the SUT never showed it
  for (std::size_t i = 0; i < h.events.size(); ++i) h.events[i].index = i;
  auto missing = check_history("breaker", h, config);
  ASSERT_EQ(missing.valid, Validity::kInvalid);
  EXPECT_EQ(missing.findings["divergences"][0]["expected"], "open->half_open");
  EXPECT_EQ(missing.findings["divergences"][0]["actual"], "no transition");
}

TEST(BreakerChecker, ASectionWithoutAProfileIsAnErrorAndNoSectionIsUnknown) {
  auto c = make_checker("breaker");
  CheckOptions options;
  options.config = {{"failure_threshold", 3}};
  auto r = c->check(load("breaker_ok.jsonl"), options);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("no profile"), std::string::npos) << r.error().message;
  options.config = {{"profile", "gobreakr"}};
  r = c->check(load("breaker_ok.jsonl"), options);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("gobreaker"), std::string::npos) << r.error().message;
  options.config = nlohmann::json::object();
  r = c->check(load("breaker_ok.jsonl"), options);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->valid, Validity::kUnknown);
  EXPECT_NE(r->findings["reason"].get<std::string>().find("no policy configured"), std::string::npos);
  auto retry = make_checker("retry")->check(load("retry_ok.jsonl"), options);
  ASSERT_TRUE(retry.ok());
  EXPECT_EQ(retry->valid, Validity::kUnknown);
}

TEST(BreakerChecker, KnobsMayBeGivenByTheLibrarysOwnNames) {
  auto breaker = parse_breaker_config({{"profile", "gobreaker"}, {"max_requests", 2}, {"timeout", "2s"}});
  ASSERT_TRUE(breaker.ok()) << breaker.error().message;
  EXPECT_EQ((*breaker)->breaker.recovery_timeout, 2'000'000'000);
  EXPECT_EQ((*breaker)->breaker.half_open_max_calls, 2);
  auto retry = parse_retry_config({{"profile", "cenkalti-backoff"}, {"initial_interval", "50ms"}, {"max_elapsed_time", "1m"}});
  ASSERT_TRUE(retry.ok()) << retry.error().message;
  EXPECT_EQ((*retry)->policy.base_delay, 50'000'000);
  EXPECT_EQ((*retry)->policy.max_elapsed, 60'000'000'000);
  auto twice = parse_breaker_config({{"profile", "gobreaker"}, {"timeout", "2s"}, {"recovery_timeout", "1s"}});
  ASSERT_FALSE(twice.ok());
  EXPECT_NE(twice.error().message.find("given twice"), std::string::npos) << twice.error().message;
  // Another library's name for a knob is not this one's.
  EXPECT_FALSE(parse_breaker_config({{"profile", "resilience4j"}, {"timeout", "2s"}}).ok());
}

TEST(BreakerChecker, AKilledNodeRestartsWithFreshBreakers) {
  // n1's breaker is open when n1 is killed; the old process still rejects a
  // call inside the kill, the restarted one (logging before the kill's end)
  // admits calls from closed, and after the end it trips again by itself.
  auto r = check("breaker", "breaker_kill_restart.jsonl");
  EXPECT_EQ(r.valid, Validity::kValid) << r.text;

  // Without the kill the same events are a breaker admitting calls while open.
  auto h = load("breaker_kill_restart.jsonl");
  std::erase_if(h.events, [](const history::Event& e) { return std::holds_alternative<history::FaultEvent>(e.body); });
  auto no_kill = check_history("breaker", h);
  ASSERT_EQ(no_kill.valid, Validity::kInvalid);
  EXPECT_EQ(no_kill.findings["divergences"][0]["time"], 1'350'000'000);

  // The restarted breaker is still judged: it must not admit while open.
  auto late = load("breaker_kill_restart.jsonl");
  for (auto& e : late.events)
    if (auto* b = std::get_if<history::BreakerEvent>(&e.body); b && b->call == 4) b->permitted = true;
  auto wrong = check_history("breaker", late);
  ASSERT_EQ(wrong.valid, Validity::kInvalid);
  EXPECT_EQ(wrong.findings["divergences"][0]["time"], 1'700'000'000);
}

// ---- retry ----

TEST(RetryChecker, PolicyAbidingRetriesAreValid) {
  auto r = check("retry", "retry_ok.jsonl");
  EXPECT_EQ(r.valid, Validity::kValid) << r.text;
  EXPECT_EQ(r.findings["ops"], 4);
  EXPECT_EQ(r.findings["attempts"], 10);
}

TEST(RetryChecker, EachRuleHasAFailingCase) {
  struct Case {
    const char* file;
    const char* rule;
  };
  for (const Case& c : {Case{"retry_too_many.jsonl", "max_attempts"}, Case{"retry_after_success.jsonl", "after_success"},
                        Case{"retry_no_cap.jsonl", "delay_bounds"}, Case{"retry_gap.jsonl", "gap"},
                        Case{"retry_numbering.jsonl", "numbering"}}) {
    auto r = check("retry", c.file);
    EXPECT_EQ(r.valid, Validity::kInvalid) << c.file;
    EXPECT_EQ(kinds(r, "violations", "rule"), std::vector<std::string>{c.rule}) << c.file << "\n" << r.text;
  }
}

TEST(RetryChecker, JitterModesBoundTheDeclaredDelay) {
  auto full = kConfig;
  full["retry"]["jitter"] = "full";
  EXPECT_EQ(check("retry", "retry_ok.jsonl", full).valid, Validity::kValid);
  auto equal = kConfig;
  equal["retry"]["jitter"] = "equal";
  equal["retry"]["base_delay"] = "250ms";  // attempt 1 must then wait 125..250ms, not 100ms
  equal["retry"]["max_delay"] = "1s";
  auto r = check("retry", "retry_ok.jsonl", equal);
  EXPECT_EQ(r.valid, Validity::kInvalid);
  EXPECT_EQ(r.findings["violations_by_rule"]["delay_bounds"].get<int>() > 0, true);
}

// ---- runner ----

TEST(RunCheckers, RunsEveryApplicableCheckerAndFoldsVerdicts) {
  RunOptions options;
  options.config = kConfig;
  auto report = run_checkers(load("breaker_ok.jsonl"), options);
  ASSERT_TRUE(report.ok());
  ASSERT_EQ(report->results.size(), 1u);
  EXPECT_EQ(report->results[0].first, "breaker");
  auto j = report->to_json();
  EXPECT_EQ(j["valid"], true);
  EXPECT_EQ(j["checkers"]["breaker"]["valid"], true);

  options.names = {"breaker", "retry"};
  auto both = run_checkers(load("breaker_unlimited_half_open.jsonl"), options);
  ASSERT_TRUE(both.ok());
  EXPECT_EQ(both->valid, Validity::kInvalid);
  EXPECT_EQ(both->to_json()["checkers"]["retry"]["valid"], true);
}

TEST(RunCheckers, NoApplicableCheckerRunsNothing) {
  history::History empty;
  empty.nodes = {"n1"};
  auto r = run_checkers(empty, RunOptions{});
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->results.empty());  // `faultline check` reports this as unknown (exit 2)
}

TEST(RunCheckers, RejectsUnknownCheckersAndSections) {
  RunOptions options;
  options.names = {"breakr"};
  auto r = run_checkers(load("breaker_ok.jsonl"), options);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kInvalidInput);
  options.names = {};
  options.config = {{"brekaer", nlohmann::json::object()}};
  r = run_checkers(load("breaker_ok.jsonl"), options);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("unknown section \"brekaer\""), std::string::npos);
}

TEST(RunCheckers, PastTheDeadlineTheVerdictIsUnknown) {
  RunOptions options;
  options.config = kConfig;
  options.names = {"detector", "breaker", "retry"};
  options.timeout = 1;  // 1ns: already past when the checkers start
  auto r = run_checkers(load("detector_ok.jsonl"), options);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->valid, Validity::kUnknown);
  for (const auto& [name, result] : r->results) EXPECT_EQ(result.valid, Validity::kUnknown) << name;
}

TEST(Registry, KnowsEveryChecker) {
  EXPECT_EQ(checker_names(), (std::vector<std::string>{"detector", "breaker", "retry", "linearizable", "availability"}));
  for (const auto& name : checker_names()) {
    auto c = make_checker(name);
    ASSERT_NE(c, nullptr) << name;
    EXPECT_EQ(c->name(), name);
  }
  EXPECT_EQ(make_checker("nope"), nullptr);
}

}  // namespace
}  // namespace faultline::checkers
