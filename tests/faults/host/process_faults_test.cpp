// kill (with restart), pause/resume and cpu-throttle against a real child
// process, verified by what the child does (answers on a pipe, burns CPU),
// each healed from its record alone by a fresh mechanism instance.
#include <gtest/gtest.h>

#include <unistd.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <thread>

#include "faults/process/cgroup.h"
#include "faults/registry.h"
#include "tests/faults/host/child_process.h"
#include "tests/faults/host/fresh_mechanism.h"

namespace faultline::faults {
namespace {

using namespace std::chrono_literals;
using test::ChildProcess;

HostContext host_for(ProcessControl* process) {
  HostContext host;
  host.state_dir = std::filesystem::temp_directory_path();  // the process faults keep nothing there
  host.process = process;
  return host;
}

bool answers(ChildProcess& child, const std::string& word) {
  auto reply = child.ask(word, 2s);
  return reply && *reply == word;
}

TEST(ProcessFaults, KillRestartsOnHealFromRecordAlone) {
  ChildProcess child({"cat"});
  ASSERT_TRUE(child.start());
  auto host = host_for(&child);
  ASSERT_TRUE(answers(child, "before"));
  auto spec = FaultSpec::parse(nlohmann::json{{"kind", "kill"}, {"restart", true}});
  ASSERT_TRUE(spec);
  auto record = MechanismRegistry::instance().plan(*spec, host);
  ASSERT_TRUE(record) << record.error().message;
  auto mechanism = MechanismRegistry::instance().find("kill", (*record)["mechanism"]);
  ASSERT_TRUE(mechanism);
  ASSERT_TRUE((*mechanism)->apply(*record, host));
  for (int i = 0; i < 100 && child.running(); ++i) std::this_thread::sleep_for(10ms);
  EXPECT_FALSE(child.running());
  EXPECT_FALSE(child.ask("dead", 300ms));

  auto fresh = test::fresh_mechanism("kill", *record);
  ASSERT_TRUE(fresh);
  ASSERT_TRUE(fresh->heal(*record, host));
  EXPECT_EQ(child.restarts(), 1);
  EXPECT_TRUE(answers(child, "after"));
  ASSERT_TRUE(fresh->heal(*record, host));  // idempotent: running, so no second restart
  EXPECT_EQ(child.restarts(), 1);
}

TEST(ProcessFaults, KillWithoutRestartLeavesItDead) {
  ChildProcess child({"cat"});
  ASSERT_TRUE(child.start());
  auto host = host_for(&child);
  auto spec = FaultSpec::parse(nlohmann::json{{"kind", "kill"}, {"restart", false}});
  auto record = MechanismRegistry::instance().plan(*spec, host);
  ASSERT_TRUE(record);
  auto mechanism = test::fresh_mechanism("kill", *record);
  ASSERT_TRUE(mechanism->apply(*record, host));
  for (int i = 0; i < 100 && child.running(); ++i) std::this_thread::sleep_for(10ms);
  ASSERT_TRUE(mechanism->heal(*record, host));
  EXPECT_FALSE(child.running());
  EXPECT_EQ(child.restarts(), 0);
}

TEST(ProcessFaults, PauseStopsAnsweringAndFreshHealResumes) {
  ChildProcess child({"cat"});
  ASSERT_TRUE(child.start());
  auto host = host_for(&child);
  ASSERT_TRUE(answers(child, "before"));
  auto spec = FaultSpec::parse(nlohmann::json{{"kind", "pause"}});
  auto record = MechanismRegistry::instance().plan(*spec, host);
  ASSERT_TRUE(record) << record.error().message;
  EXPECT_EQ((*record)["pid"], child.pid());
  auto mechanism = MechanismRegistry::instance().find("pause", (*record)["mechanism"]);
  ASSERT_TRUE((*mechanism)->apply(*record, host));
  EXPECT_FALSE(child.ask("while-paused", 400ms)) << "a paused process answered";
  EXPECT_TRUE(child.running());

  auto fresh = test::fresh_mechanism("pause", *record);
  HostContext no_process = host;
  no_process.process = nullptr;  // heal needs only the record
  ASSERT_TRUE(fresh->heal(*record, no_process));
  auto late = child.read_line(2s);
  ASSERT_TRUE(late);
  EXPECT_EQ(*late, "while-paused");
  EXPECT_TRUE(answers(child, "after"));
  EXPECT_TRUE(fresh->heal(*record, no_process));  // idempotent
}

TEST(ProcessFaults, PauseHealNeverSignalsAReusedPid) {
  ChildProcess child({"cat"});
  ASSERT_TRUE(child.start());
  auto host = host_for(&child);
  auto record = MechanismRegistry::instance().plan(*FaultSpec::parse(nlohmann::json{{"kind", "pause"}}), host);
  ASSERT_TRUE(record);
  (*record)["start_time"] = (*record)["start_time"].get<std::uint64_t>() + 1;  // a different process
  auto mechanism = test::fresh_mechanism("pause", *record);
  EXPECT_FALSE(mechanism->apply(*record, host));
  EXPECT_TRUE(answers(child, "still-running"));
}

// CPU seconds the process used so far (utime + stime).
double cpu_seconds(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  std::getline(in, line);
  std::istringstream rest(line.substr(line.rfind(')') + 2));
  std::string field;
  unsigned long long utime = 0, stime = 0;
  for (int i = 3; i <= 13; ++i) rest >> field;
  rest >> utime >> stime;
  return static_cast<double>(utime + stime) / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

double cpu_rate(pid_t pid, std::chrono::milliseconds window) {
  double before = cpu_seconds(pid);
  auto t0 = std::chrono::steady_clock::now();
  std::this_thread::sleep_for(window);
  double after = cpu_seconds(pid);
  return (after - before) / std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

std::string cgroup_line(pid_t pid) {
  auto path = cgroup::cgroup_of(pid, 1);
  return path ? *path : "?";
}

TEST(ProcessFaults, CpuThrottleDropsCpuRateAndFreshHealRestoresCgroup) {
  // A busy loop at high priority, so that it gets most of a CPU even while
  // the machine compiles.
  ChildProcess child({"sh", "-c", "while :; do :; done"}, -15);
  ASSERT_TRUE(child.start());
  auto host = host_for(&child);
  pid_t pid = child.pid();
  std::string original = cgroup_line(pid);

  auto selected = MechanismRegistry::instance().select("cpu-throttle", host);
  ASSERT_TRUE(selected) << selected.error().message;
  double free_rate = cpu_rate(pid, 700ms);

  auto spec = FaultSpec::parse(nlohmann::json{{"kind", "cpu-throttle"}, {"percent", 5}});
  auto record = MechanismRegistry::instance().plan(*spec, host);
  ASSERT_TRUE(record) << record.error().message;
  ASSERT_TRUE((*selected)->apply(*record, host));
  std::filesystem::path dir = (*record)["cgroup"].get<std::string>();
  EXPECT_TRUE(std::filesystem::exists(dir));
  EXPECT_NE(cgroup_line(pid).find("faultline-"), std::string::npos) << cgroup_line(pid);
  std::this_thread::sleep_for(150ms);
  double throttled_rate = cpu_rate(pid, 1000ms);

  auto fresh = test::fresh_mechanism("cpu-throttle", *record);
  ASSERT_TRUE(fresh->heal(*record, host));
  EXPECT_FALSE(std::filesystem::exists(dir));
  EXPECT_EQ(cgroup_line(pid), original);
  double healed_rate = cpu_rate(pid, 700ms);
  EXPECT_TRUE(fresh->heal(*record, host));  // idempotent

  std::printf("cpu rate: free %.2f, throttled to 5%%: %.2f, healed %.2f\n", free_rate, throttled_rate, healed_rate);
  EXPECT_LT(throttled_rate, 0.09);
  EXPECT_GT(free_rate, 2 * throttled_rate);
  EXPECT_GT(healed_rate, 2 * throttled_rate);
}

TEST(ProcessFaults, CpuThrottleProbeMatchesTheCgroupLayout) {
  ChildProcess child({"cat"});
  ASSERT_TRUE(child.start());
  auto host = host_for(&child);
  for (auto* mechanism : MechanismRegistry::instance().candidates("cpu-throttle")) {
    auto availability = mechanism->probe(host);
    int version = mechanism->name() == "cgroup-v2" ? 2 : 1;
    // Independent look: a cgroup2 mount listing "cpu", or a v1 cpu mount.
    bool usable = false;
    std::ifstream mounts("/proc/self/mounts");
    std::string dev, mp, type, options, rest;
    while (mounts >> dev >> mp >> type >> options && std::getline(mounts, rest)) {
      if (version == 2 && type == "cgroup2") {
        std::ifstream c(mp + "/cgroup.controllers");
        std::string word;
        while (c >> word) usable = usable || word == "cpu";
      }
      if (version == 1 && type == "cgroup" && ("," + options + ",").find(",cpu,") != std::string::npos) usable = true;
    }
    EXPECT_EQ(availability.available, usable) << mechanism->name() << ": " << availability.reason;
    if (!availability.available) {
      EXPECT_FALSE(availability.reason.empty());
    }
  }
}

}  // namespace
}  // namespace faultline::faults
