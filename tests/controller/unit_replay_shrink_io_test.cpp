// What replay and shrink read and write: results.json back into a schedule
// (controller/replay/recorded_run.h), the refusals of `faultline shrink`
// (controller/shrink/shrink_input.h), and the explicit-schedule suite file
// (controller/shrink/suite_writer.h) read back by the suite loader.
#include <filesystem>
#include <fstream>

#include <unistd.h>

#include <gtest/gtest.h>

#include "controller/nemesis/schedule.h"
#include "controller/output/run_summary.h"
#include "controller/replay/recorded_run.h"
#include "controller/shrink/shrink_input.h"
#include "controller/shrink/suite_writer.h"
#include "controller/suite/suite.h"
#include "common/units.h"

using namespace faultline;
using namespace faultline::controller;
namespace fs = std::filesystem;

namespace {

const fs::path kSuites = fs::path(FAULTLINE_SOURCE_DIR) / "examples" / "suites";

struct TempDir {
  fs::path path = fs::temp_directory_path() / ("faultline-replay-io-" + std::to_string(::getpid()) + "-" +
                                               ::testing::UnitTest::GetInstance()->current_test_info()->name());
  TempDir() {
    fs::remove_all(path);
    fs::create_directories(path);
  }
  ~TempDir() { fs::remove_all(path); }
};

// A run summary as `faultline run` leaves it: schedule time 0 at 2.5s.
RunSummary failing_summary(bool valid) {
  RunSummary s;
  s.suite = "partition-heal";
  s.suite_file = "examples/suites/partition-heal.yaml";
  s.suite_path = (kSuites / "partition-heal.yaml").string();
  s.sets = {"sut.env.DEMO_ARGS=--bug read-one"};
  s.seed = 7;
  s.schedule_zero = 2500 * kMillisecond;
  s.duration = 30000 * kMillisecond;
  s.healed_verified = true;
  ExecutedFault cut;
  cut.id = "f1";
  cut.kind = "partition";
  cut.start = 5504 * kMillisecond;
  cut.end = 15507 * kMillisecond;
  cut.targets = {"n1", "n2", "n3"};
  cut.spec = {{"kind", "partition"}, {"mode", "isolate"}};
  cut.grudge = {{"n1", {"n2", "n3"}}, {"n2", {"n1"}}, {"n3", {"n1"}}};
  ExecutedFault kill;
  kill.id = "f2";
  kill.kind = "kill";
  kill.start = 17000 * kMillisecond;
  kill.end = -1;  // interrupted: never ended
  kill.targets = {"n3"};
  kill.spec = {{"kind", "kill"}};
  ExecutedFault nowhere;  // failed on its only node: never ran
  nowhere.id = "f3";
  nowhere.kind = "pause";
  nowhere.start = 18000 * kMillisecond;
  nowhere.end = 19000 * kMillisecond;
  nowhere.spec = {{"kind", "pause"}};
  nowhere.errors = {"n2: apply: refused"};
  s.faults = {cut, kill, nowhere};
  if (valid) s.faults = {cut};  // a clean run: every fault applied and healed
  checkers::CheckReport report;
  checkers::CheckResult lin;
  lin.valid = valid ? checkers::Validity::kValid : checkers::Validity::kInvalid;
  lin.findings = {{"op", {{"f", "read"}}}};
  report.results.emplace_back("linearizable", lin);
  report.valid = lin.valid;
  s.check = report;
  return s;
}

TEST(RecordedRun, ResultsJsonGivesBackTheScheduleAsExecuted) {
  TempDir dir;
  ASSERT_TRUE(write_results(dir.path / "results.json", failing_summary(false)));
  auto run = load_recorded_run(dir.path);
  ASSERT_TRUE(run) << run.error().message;
  EXPECT_EQ(run->seed, 7u);
  EXPECT_EQ(run->exit_code, 1);
  EXPECT_EQ(run->sets, (std::vector<std::string>{"sut.env.DEMO_ARGS=--bug read-one"}));
  EXPECT_EQ(run->suite_path, kSuites / "partition-heal.yaml");
  ASSERT_EQ(run->faults.size(), 2u);  // f3 never ran anywhere
  const auto& cut = run->faults[0];
  EXPECT_EQ(cut.id, "f1");
  EXPECT_EQ(cut.start, 3004 * kMillisecond);  // relative to the SUT being up
  EXPECT_EQ(cut.end, 13007 * kMillisecond);
  EXPECT_EQ(cut.spec, (nlohmann::json{{"kind", "partition"}, {"mode", "isolate"}}));
  EXPECT_EQ(cut.grudge, (Grudge{{"n1", {"n2", "n3"}}, {"n2", {"n1"}}, {"n3", {"n1"}}}));
  EXPECT_EQ(run->faults[1].end, 27500 * kMillisecond);  // never ended: the end of the history
  EXPECT_EQ(replay_record(*run)["faults"], 2);
}

TEST(RecordedRun, RefusesWhatIsNotAFinishedRun) {
  TempDir dir;
  auto missing = load_recorded_run(dir.path);
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message.find("no results.json"), std::string::npos) << missing.error().message;
  EXPECT_FALSE(load_recorded_run(dir.path / "nope"));
  std::ofstream(dir.path / "results.json") << "{not json";
  EXPECT_FALSE(load_recorded_run(dir.path));
  std::ofstream(dir.path / "results.json", std::ios::trunc) << R"({"valid":false,"exit_code":1,"faults":[]})";
  auto old = load_recorded_run(dir.path);
  ASSERT_FALSE(old);
  EXPECT_NE(old.error().message.find("older faultline"), std::string::npos);
}

TEST(ShrinkInput, RefusesAPassingRunWithAClearMessage) {
  TempDir dir;
  ASSERT_TRUE(write_results(dir.path / "results.json", failing_summary(true)));
  auto input = shrink::shrink_input(dir.path);
  ASSERT_FALSE(input);
  EXPECT_EQ(input.error().code, ErrorCode::kInvalidInput);
  EXPECT_NE(input.error().message.find("the run passed"), std::string::npos) << input.error().message;
}

TEST(ShrinkInput, RefusesADirectoryWithoutResults) {
  TempDir dir;
  auto input = shrink::shrink_input(dir.path);
  ASSERT_FALSE(input);
  EXPECT_EQ(input.error().code, ErrorCode::kInvalidInput);
  EXPECT_NE(input.error().message.find("no results.json"), std::string::npos);
}

TEST(ShrinkInput, TakesAFailingRunAndNarrowsToAFinding) {
  TempDir dir;
  ASSERT_TRUE(write_results(dir.path / "results.json", failing_summary(false)));
  auto input = shrink::shrink_input(dir.path);
  ASSERT_TRUE(input) << input.error().message;
  EXPECT_EQ(shrink::describe(input->failure), "linearizable:not-linearizable");
  EXPECT_TRUE(shrink::shrink_input(dir.path, {"linearizable"}));
  auto other = shrink::shrink_input(dir.path, {"breaker:decision"});
  ASSERT_FALSE(other);
  EXPECT_NE(other.error().message.find("--finding"), std::string::npos);
  auto gone = shrink::shrink_input(dir.path, {}, dir.path / "moved.yaml");
  ASSERT_FALSE(gone);
  EXPECT_NE(gone.error().message.find("--suite"), std::string::npos);
}

// A one-way isolate comes back as its one-way grudge, with the flags the
// nodes applied it with.
TEST(SuiteWriter, OneWayPartitionLoadsBackOneWay) {
  TempDir dir;
  std::vector<ScheduledFault> faults(1);
  faults[0].id = "f1";
  faults[0].spec = {{"kind", "partition"}, {"mode", "isolate"}, {"direction", "out"}, {"keep_established", true}};
  faults[0].grudge = {{"n1", {"n3"}}, {"n2", {"n3"}}};
  faults[0].targets = {"n1", "n2"};
  faults[0].start = 1000 * kMs;
  faults[0].end = 3000 * kMs;
  auto yaml = shrink::schedule_suite_yaml(kSuites / "partition-heal.yaml", {}, faults, 10 * 1000 * kMs, 7, {});
  ASSERT_TRUE(yaml) << yaml.error().message;
  const auto file = dir.path / "shrunk.yaml";
  std::ofstream(file) << *yaml;
  auto suite = load_suite(file);
  ASSERT_TRUE(suite) << suite.error().message << "\n" << *yaml;
  auto schedule = build_schedule(*suite);
  ASSERT_TRUE(schedule) << schedule.error().message;
  ASSERT_EQ(schedule->size(), 1u);
  EXPECT_EQ((*schedule)[0].grudge, faults[0].grudge);
  EXPECT_EQ((*schedule)[0].spec.value("keep_established", false), true) << (*schedule)[0].spec;
}

TEST(SuiteWriter, ExplicitScheduleLoadsBackAsTheSameFaults) {
  TempDir dir;
  std::vector<ScheduledFault> faults(3);
  faults[0].id = "f2";
  faults[0].spec = {{"kind", "partition"}, {"mode", "halves"}};
  faults[0].grudge = {{"n1", {"n3"}}, {"n3", {"n1"}}};
  faults[0].targets = {"n1", "n3"};
  faults[0].start = 2000 * kMillisecond;
  faults[0].end = 4500 * kMillisecond;
  faults[1].id = "f5";
  faults[1].spec = {{"kind", "disk-fill"}, {"path", "{data}"}, {"leave", "1MiB"}};
  faults[1].targets = {"n2"};
  faults[1].start = 5000 * kMillisecond;
  faults[1].end = 6000 * kMillisecond;
  faults[2].id = "f7";
  faults[2].spec = {{"kind", "pause"}};
  faults[2].targets = {"n1", "n2"};
  faults[2].start = 7123456789;
  faults[2].end = 9000 * kMillisecond;
  auto yaml = shrink::schedule_suite_yaml(kSuites / "partition-heal.yaml", {"sut.env.DEMO_ARGS=--bug read-one"},
                                          faults, 17 * 1000 * kMillisecond, 42, {{"shrunk_from", "/runs/x"}});
  ASSERT_TRUE(yaml) << yaml.error().message;
  const auto file = dir.path / "shrunk.yaml";
  std::ofstream(file) << *yaml;
  auto suite = load_suite(file);
  ASSERT_TRUE(suite) << suite.error().message << "\n" << *yaml;
  EXPECT_EQ(suite->name, "partition-heal");
  EXPECT_EQ(suite->duration, 17000 * kMillisecond);
  EXPECT_EQ(suite->nemesis.seed, 42u);
  EXPECT_EQ(suite->sut.env.at("DEMO_ARGS"), "--bug read-one");
  EXPECT_EQ(suite->metadata.value("shrunk_from", ""), "/runs/x");
  EXPECT_EQ(suite->checkers.names.size(), 4u);
  auto schedule = build_schedule(*suite);
  ASSERT_TRUE(schedule) << schedule.error().message;
  ASSERT_EQ(schedule->size(), 3u);
  EXPECT_EQ((*schedule)[0].kind(), "partition");
  EXPECT_EQ((*schedule)[0].grudge, faults[0].grudge);
  EXPECT_EQ((*schedule)[0].targets, faults[0].targets);
  EXPECT_EQ((*schedule)[0].start, 2000 * kMillisecond);
  EXPECT_EQ((*schedule)[0].end, 4500 * kMillisecond);
  EXPECT_EQ((*schedule)[1].spec, faults[1].spec);
  EXPECT_EQ((*schedule)[1].targets, faults[1].targets);
  EXPECT_EQ((*schedule)[2].targets, faults[2].targets);
  EXPECT_EQ((*schedule)[2].start, 7123 * kMillisecond);  // to the millisecond
  EXPECT_EQ((*schedule)[2].end, 9000 * kMillisecond);
}

TEST(SuiteWriter, SuiteDirPointsAtTheOriginalSuite) {
  auto yaml = shrink::schedule_suite_yaml(kSuites / "random-packages.yaml", {}, {}, 10'000 * kMillisecond, 1, {});
  ASSERT_TRUE(yaml) << yaml.error().message;
  EXPECT_EQ(yaml->find("{suite_dir}"), std::string::npos);
  EXPECT_NE(yaml->find((kSuites / "stand-in-sut.py").string()), std::string::npos) << *yaml;
}

TEST(FitSchedule, RefusesFaultsTheSuiteCannotRun) {
  auto suite = load_suite(kSuites / "partition-heal.yaml");
  ASSERT_TRUE(suite);
  ScheduledFault f;
  f.id = "f1";
  f.spec = {{"kind", "kill"}};
  f.targets = {"n9"};
  f.start = 0;
  f.end = kMillisecond;
  EXPECT_FALSE(fit_schedule({f}, *suite));
  f.targets = {"n2"};
  f.start = suite->duration;
  EXPECT_FALSE(fit_schedule({f}, *suite));
  f.start = suite->duration - kMillisecond;
  f.end = suite->duration + 5000 * kMillisecond;
  auto fitted = fit_schedule({f}, *suite);
  ASSERT_TRUE(fitted);
  EXPECT_EQ((*fitted)[0].end, suite->duration);  // cut to the run
}

}  // namespace
