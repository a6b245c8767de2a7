#include <atomic>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <thread>

#include <unistd.h>

#include <gtest/gtest.h>

#include "checkers/history/event.h"
#include "controller/output/run_summary.h"
#include "controller/report/report.h"
#include "controller/run/clock_offset.h"
#include "controller/run/history_recorder.h"
#include "controller/run/placeholders.h"

using namespace faultline;
using namespace faultline::controller;

namespace {

struct TempDir {
  std::filesystem::path path;
  TempDir() {
    path = std::filesystem::temp_directory_path() / ("faultline-controller-test-" + std::to_string(::getpid()) + "-" +
                                                     std::to_string(counter()++));
    std::filesystem::create_directories(path);
  }
  ~TempDir() { std::filesystem::remove_all(path); }
  static int& counter() {
    static int c = 0;
    return c;
  }
};

std::string slurp(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

RunSummary sample_summary(checkers::Validity validity) {
  RunSummary s;
  s.suite = "demo<&>";
  s.suite_file = "examples/suites/demo.yaml";
  s.started_at = "2026-11-25T14:00:00Z";
  s.duration = 12'500'000'000;
  s.nodes = {"n1", "n2"};
  s.healed_verified = true;
  s.faults.push_back({"f1", "partition", 1'000'000'000, 3'000'000'000, {"n1", "n2"}, {}, {}, {}});
  checkers::CheckReport report;
  report.valid = validity;
  checkers::CheckResult detector;
  detector.valid = validity;
  detector.text = "n1 never suspected n2";
  detector.findings = {{"completeness", {{"valid", validity == checkers::Validity::kValid}}},
                       {"accuracy", {{"valid", true}}},
                       {"count", 3}};
  detector.wall = 1'500'000'000;
  detector.events = 4321;
  report.results.push_back({"detector", detector});
  s.check = report;
  return s;
}

}  // namespace

TEST(ClockOffset, CristianPicksTheTightestRoundTrip) {
  // Agent clock is 1000 ahead. Sample 2 has the smallest round trip.
  std::vector<agent::ClockSample> samples{{100, 1180, 200}, {300, 1352, 310}, {400, 1500, 600}};
  auto o = estimate_offset(samples);
  ASSERT_TRUE(o.ok());
  EXPECT_EQ(o->round_trip, 10);
  EXPECT_EQ(o->offset, 1352 - 305);
  EXPECT_EQ(o->error, 5);
  EXPECT_EQ(o->to_controller(2000), 2000 - 1047);
  EXPECT_LE(std::abs(o->offset - 1000), o->error + 50);
}

TEST(ClockOffset, RejectsNoOrBackwardSamples) {
  EXPECT_FALSE(estimate_offset({}).ok());
  EXPECT_FALSE(estimate_offset({{500, 10, 400}}).ok());
  auto o = estimate_offset({{500, 10, 400}, {0, -50, 20}});  // negative agent-ahead offsets work too
  ASSERT_TRUE(o.ok());
  EXPECT_EQ(o->offset, -60);
}

// Lines of a history file, for order checks.
std::vector<std::string> lines_of(const std::filesystem::path& file) {
  std::vector<std::string> lines;
  std::istringstream in(slurp(file));
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

TEST(HistoryRecorder, WritesTrueTimesInTimeOrderOnceOlderThanTheWindow) {
  TempDir dir;
  std::atomic<Nanos> clock{0};
  HistoryRecorder rec;
  ASSERT_TRUE(rec.open(dir.path / "h.jsonl", [&] { return clock.load(); }, /*window=*/1000).ok());
  rec.record(0, {{"type", "cluster"}, {"nodes", {"n1"}}});
  rec.record(500, {{"type", "log"}, {"message", "x"}});
  EXPECT_EQ(rec.record(400, {{"type", "detector"}, {"node", "n1"}}), 400);  // never moved
  rec.flush_due();
  EXPECT_EQ(slurp(dir.path / "h.jsonl"), "");  // all younger than the window
  clock = 1450;                               // 0 and 400 are due, 500 is not
  rec.flush_due();
  auto lines = lines_of(dir.path / "h.jsonl");
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0].substr(0, 9), "{\"time\":0");
  EXPECT_EQ(lines[1], "{\"time\":400,\"node\":\"n1\",\"type\":\"detector\"}");
  EXPECT_EQ(rec.count(), 3u);
  EXPECT_EQ(rec.last_time(), 500);
  ASSERT_TRUE(rec.close().ok());
  lines = lines_of(dir.path / "h.jsonl");
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[2], "{\"time\":500,\"message\":\"x\",\"type\":\"log\"}");
  EXPECT_EQ(slurp(dir.path / "h.jsonl").find("time_estimate"), std::string::npos);
  EXPECT_EQ(rec.late_count(), 0u);
}

TEST(HistoryRecorder, EqualTimesKeepTheOrderOfRecording) {
  TempDir dir;
  HistoryRecorder rec;
  ASSERT_TRUE(rec.open(dir.path / "h.jsonl", [] { return Nanos{0}; }, 1000).ok());
  rec.record(7, {{"type", "invoke"}, {"process", 1}});
  rec.record(9, {{"type", "log"}, {"message", "later"}});
  rec.record(7, {{"type", "ok"}, {"process", 1}});
  ASSERT_TRUE(rec.close().ok());
  auto lines = lines_of(dir.path / "h.jsonl");
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_NE(lines[0].find("invoke"), std::string::npos);
  EXPECT_NE(lines[1].find("\"ok\""), std::string::npos);
  EXPECT_NE(lines[2].find("later"), std::string::npos);
}

TEST(HistoryRecorder, ALineLaterThanTheWindowIsWrittenAtOnceAndSortedAtClose) {
  TempDir dir;
  std::atomic<Nanos> clock{0};
  HistoryRecorder rec;
  ASSERT_TRUE(rec.open(dir.path / "h.jsonl", [&] { return clock.load(); }, 100).ok());
  rec.record(100, {{"type", "log"}, {"message", "a"}});
  rec.record(300, {{"type", "log"}, {"message", "b"}});
  clock = 1000;
  rec.flush_due();
  rec.record(200, {{"type", "log"}, {"message", "late"}});  // before what is written
  EXPECT_EQ(rec.late_count(), 1u);
  auto lines = lines_of(dir.path / "h.jsonl");
  ASSERT_EQ(lines.size(), 3u);  // readable at once, even out of order
  EXPECT_NE(lines[2].find("late"), std::string::npos);
  ASSERT_TRUE(rec.close().ok());
  lines = lines_of(dir.path / "h.jsonl");
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_NE(lines[0].find("\"a\""), std::string::npos);
  EXPECT_NE(lines[1].find("late"), std::string::npos);
  EXPECT_NE(lines[2].find("\"b\""), std::string::npos);
  EXPECT_FALSE(std::filesystem::exists(dir.path / "h.jsonl.sorting"));
}

TEST(HistoryRecorder, TheFlusherThreadWritesWithoutBeingAsked) {
  TempDir dir;
  std::atomic<Nanos> clock{0};
  HistoryRecorder rec;
  ASSERT_TRUE(rec.open(dir.path / "h.jsonl", [&] { return clock.load(); }, 4'000'000).ok());
  rec.record(5, {{"type", "log"}, {"message", "x"}});
  clock = 10'000'000;
  for (int i = 0; i < 200 && slurp(dir.path / "h.jsonl").empty(); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  EXPECT_EQ(lines_of(dir.path / "h.jsonl").size(), 1u);
  ASSERT_TRUE(rec.close().ok());
}

TEST(RunSummary, EachCheckersTimeAndEventCountAndTheWarnings) {
  auto s = sample_summary(checkers::Validity::kValid);
  s.warnings.push_back("node n2: teardown exited 1: rm: cannot remove");
  auto j = s.to_json();
  EXPECT_EQ(j["checkers"]["detector"]["check_seconds"], 1.5);
  EXPECT_EQ(j["checkers"]["detector"]["events_checked"], 4321);
  EXPECT_EQ(j["warnings"][0], "node n2: teardown exited 1: rm: cannot remove");
  EXPECT_EQ(s.exit_code(), 0);  // a warning does not touch the verdict
  TempDir dir;
  ASSERT_TRUE(write_junit(dir.path / "junit.xml", s).ok());
  auto xml = slurp(dir.path / "junit.xml");
  EXPECT_NE(xml.find("<testcase name=\"detector\" classname=\"faultline.demo&lt;&amp;&gt;.checker\" time=\"1.500\""),
            std::string::npos)
      << xml;
  EXPECT_NE(xml.find("<property name=\"detector.events_checked\" value=\"4321\"/>"), std::string::npos) << xml;
  EXPECT_NE(xml.find("<property name=\"warning\" value=\"node n2: teardown exited 1"), std::string::npos) << xml;
}

TEST(RunSummary, ACheckersPropertiesBecomeJunitProperties) {
  auto s = sample_summary(checkers::Validity::kInvalid);
  checkers::CheckResult availability;
  availability.valid = checkers::Validity::kInvalid;
  availability.findings = {{"recovery", {{"valid", false}}},
                           {"recovery_times_s", {{"f1", 11.2}}},
                           {"properties", {{"recovery.f1", "11.200"}, {"recovery.longest", "11.200"}}}};
  s.check->results.push_back({"availability", availability});
  EXPECT_EQ(s.to_json()["checkers"]["availability"]["recovery_times_s"]["f1"], 11.2);
  TempDir dir;
  ASSERT_TRUE(write_junit(dir.path / "junit.xml", s).ok());
  auto xml = slurp(dir.path / "junit.xml");
  EXPECT_NE(xml.find("<property name=\"availability.recovery.f1\" value=\"11.200\"/>"), std::string::npos) << xml;
  EXPECT_NE(xml.find("<property name=\"availability.recovery.longest\" value=\"11.200\"/>"), std::string::npos) << xml;
  EXPECT_NE(xml.find("<testcase name=\"recovery\" classname=\"faultline.demo&lt;&amp;&gt;.checker.availability\""),
            std::string::npos)
      << xml;
}

TEST(RunSummary, VerdictAndExitCodes) {
  EXPECT_EQ(sample_summary(checkers::Validity::kValid).exit_code(), 0);
  EXPECT_EQ(sample_summary(checkers::Validity::kInvalid).exit_code(), 1);
  EXPECT_EQ(sample_summary(checkers::Validity::kUnknown).exit_code(), 2);
  auto s = sample_summary(checkers::Validity::kValid);
  s.healed_verified = false;
  EXPECT_EQ(s.exit_code(), 2);
  s = sample_summary(checkers::Validity::kValid);
  s.faults[0].errors.push_back("n1: apply: boom");
  EXPECT_EQ(s.exit_code(), 2);
  s = sample_summary(checkers::Validity::kInvalid);
  s.interrupted = true;
  EXPECT_EQ(s.exit_code(), 1);  // an invalid finding stands even in a partial run
  s.check.reset();
  EXPECT_EQ(s.exit_code(), 2);
}

TEST(RunSummary, ResultsJson) {
  TempDir dir;
  auto s = sample_summary(checkers::Validity::kInvalid);
  ASSERT_TRUE(write_results(dir.path / "results.json", s).ok());
  auto j = nlohmann::json::parse(slurp(dir.path / "results.json"));
  EXPECT_EQ(j["valid"], false);
  EXPECT_EQ(j["exit_code"], 1);
  EXPECT_EQ(j["faults"][0]["id"], "f1");
  EXPECT_EQ(j["checkers"]["detector"]["valid"], false);
  EXPECT_EQ(j["checkers"]["detector"]["count"], 3);
}

TEST(RunSummary, JunitValidatesAgainstTheSchema) {
  if (std::system("command -v xmllint >/dev/null 2>&1") != 0) GTEST_SKIP() << "xmllint (libxml2-utils) not installed";
  TempDir dir;
  for (auto validity : {checkers::Validity::kValid, checkers::Validity::kInvalid, checkers::Validity::kUnknown}) {
    auto s = sample_summary(validity);
    if (validity == checkers::Validity::kUnknown) s.errors.push_back("node n2: <heal> failed & more\x01");
    auto file = dir.path / "junit.xml";
    ASSERT_TRUE(write_junit(file, s).ok());
    std::string cmd = "xmllint --noout --schema " + std::string(FAULTLINE_TEST_DATA) + "/junit.xsd " + file.string() + " 2>&1";
    EXPECT_EQ(std::system(cmd.c_str()), 0) << slurp(file);
    auto xml = slurp(file);
    // One case for the run, one per checker, one per property.
    EXPECT_NE(xml.find("name=\"faults applied and healed\""), std::string::npos);
    EXPECT_NE(xml.find("name=\"detector\" classname=\"faultline.demo&lt;&amp;&gt;.checker\""), std::string::npos);
    EXPECT_NE(xml.find("name=\"completeness\""), std::string::npos);
    EXPECT_NE(xml.find("name=\"accuracy\""), std::string::npos);
    EXPECT_EQ(xml.find("name=\"count\""), std::string::npos);
    if (validity == checkers::Validity::kInvalid) {
      EXPECT_NE(xml.find("failures=\"2\""), std::string::npos);
      EXPECT_NE(xml.find("<failure message=\"detector checker: invalid\""), std::string::npos);
    }
  }
  // The schema is strict enough to reject a malformed file.
  std::ofstream(dir.path / "bad.xml") << "<testsuites><testsuite tests=\"1\"><testcase/></testsuite></testsuites>";
  std::string cmd = "xmllint --noout --schema " + std::string(FAULTLINE_TEST_DATA) + "/junit.xsd " +
                    (dir.path / "bad.xml").string() + " >/dev/null 2>&1";
  EXPECT_NE(std::system(cmd.c_str()), 0);
}

TEST(Report, SelfContainedWithFaultWindowsAndCharts) {
  TempDir dir;
  history::History h;
  h.nodes = {"n1", "n2", "n3"};
  auto add = [&](history::Nanos t, history::EventBody body) {
    history::Event e;
    e.time = t;
    e.index = h.events.size();
    e.body = std::move(body);
    h.events.push_back(std::move(e));
  };
  add(0, history::ClusterEvent{h.nodes});
  history::FaultEvent start;
  start.id = "f1";
  start.fault = {{"kind", "partition"}, {"mode", "isolate"}};
  start.targets = {"n1", "n2", "n3"};
  start.grudge = {{"n1", {"n2", "n3"}}, {"n2", {"n1"}}, {"n3", {"n1"}}};
  add(1'000'000'000, start);
  history::DetectorEvent suspect{"n2", "n1", history::DetectorStatus::kSuspect, 0};
  add(1'500'000'000, suspect);
  history::ClientEvent invoke;
  invoke.process = 0;
  invoke.f = "read";
  add(1'600'000'000, invoke);
  history::ClientEvent ok = invoke;
  ok.type = history::OpType::kOk;
  add(1'650'000'000, ok);
  history::FaultEvent end;
  end.phase = history::FaultEvent::Phase::kEnd;
  end.id = "f1";
  add(3'000'000'000, end);
  history::DetectorEvent alive{"n2", "n1", history::DetectorStatus::kAlive, 1};
  add(3'200'000'000, alive);

  auto data = report_data(h, nullptr, {{"suite", "demo"}});
  ASSERT_EQ(data["faults"].size(), 1u);
  EXPECT_DOUBLE_EQ(data["faults"][0]["start"].get<double>(), 1.0);
  EXPECT_DOUBLE_EQ(data["faults"][0]["end"].get<double>(), 3.0);
  ASSERT_EQ(data["detector"].size(), 1u);
  EXPECT_EQ(data["detector"][0]["kind"], "suspect");
  ASSERT_EQ(data["client"]["latency"].size(), 1u);
  EXPECT_NEAR(data["client"]["latency"][0]["y"].get<double>(), 50.0, 1e-6);

  ASSERT_TRUE(write_report(dir.path / "report.html", h, nullptr, {{"suite", "demo</script>"}}).ok());
  auto html = slurp(dir.path / "report.html");
  EXPECT_NE(html.find("<canvas id=\"timeline\">"), std::string::npos);
  EXPECT_EQ(html.find("src=\"http"), std::string::npos);  // nothing fetched from the network
  EXPECT_EQ(html.find("demo</script>"), std::string::npos);
  if (std::filesystem::exists("/usr/share/javascript/chart.js/chart.min.js")) {
    EXPECT_NE(html.find("Chart.js v3"), std::string::npos);  // inlined
  }
}
