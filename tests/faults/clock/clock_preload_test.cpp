// The per-process clock end to end: a real program under libfaultline_clock.so
// sees +5 s skew, 2x drift and a stop applied and removed while it runs,
// through the registry's per-process mechanism, healed by fresh instances;
// another process at the same moment sees true time. Monotonic never goes
// backwards under concurrent updates and heals. Time namespaces offset
// monotonic/boottime of a started program.
#include <gtest/gtest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <thread>

#include "faults/clock/clock_page_file.h"
#include "faults/clock/preload_library.h"
#include "faults/clock/time_namespace.h"
#include "faults/registry.h"
#include "tests/faults/host/child_process.h"
#include "tests/faults/host/fresh_mechanism.h"

namespace faultline::faults::clock {
namespace {

using namespace std::chrono_literals;
using test::ChildProcess;
constexpr double kSecond = 1e9;

std::filesystem::path probe_program() {
  return std::filesystem::read_symlink("/proc/self/exe").parent_path() / "faultline-clock-probe";
}

std::int64_t true_now(clockid_t id) {
  timespec ts{};
  ::clock_gettime(id, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

class PreloadFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    host_.state_dir = std::filesystem::temp_directory_path() / ("clock-preload-" + std::to_string(::getpid()));
    std::filesystem::create_directories(host_.state_dir);
    auto lib = find_clock_preload();
    ASSERT_TRUE(lib) << lib.error().message;
    ASSERT_TRUE(ensure_clock_page(host_.state_dir));
    auto env = clock_preload_env(*lib, host_.state_dir);
    faulted_ = std::make_unique<ChildProcess>(std::vector<std::string>{probe_program().string()});
    for (const auto& [k, v] : env) faulted_->set_env(k, v);
    bystander_ = std::make_unique<ChildProcess>(std::vector<std::string>{probe_program().string()});
    bystander_->set_env("LD_PRELOAD", "");
    ASSERT_TRUE(faulted_->start());
    ASSERT_TRUE(bystander_->start());
  }
  void TearDown() override {
    faulted_.reset();
    bystander_.reset();
    std::filesystem::remove_all(host_.state_dir);
  }

  // The child's reading of a clock minus true time at the moment it answered (ns).
  static double offset(ChildProcess& child, const std::string& cmd = "r", clockid_t id = CLOCK_REALTIME) {
    auto before = true_now(id);
    auto reply = child.ask(cmd, 3s);
    auto after = true_now(id);
    EXPECT_TRUE(reply);
    if (!reply) return 1e18;
    return static_cast<double>(std::stoll(*reply)) - static_cast<double>(before + after) / 2;
  }

  HealRecord apply(nlohmann::json spec_json) {
    auto spec = FaultSpec::parse(spec_json);
    EXPECT_TRUE(spec);
    auto record = MechanismRegistry::instance().plan(*spec, host_);
    EXPECT_TRUE(record) << record.error().message;
    EXPECT_EQ((*record)["mechanism"], "per-process");
    auto mechanism = MechanismRegistry::instance().find(spec->kind, "per-process");
    EXPECT_TRUE((*mechanism)->apply(*record, host_));
    return *record;
  }
  void heal(const HealRecord& record) {
    auto fresh = test::fresh_mechanism(record["kind"], record);
    ASSERT_TRUE(fresh);
    ASSERT_TRUE(fresh->heal(record, host_));
  }

  HostContext host_;
  std::unique_ptr<ChildProcess> faulted_, bystander_;
};

TEST_F(PreloadFixture, SkewDriftAndStopWhileRunningOthersSeeRealTime) {
  EXPECT_NEAR(offset(*faulted_), 0, 0.05 * kSecond);

  auto skew = apply({{"kind", "clock-skew"}, {"offset", "+5s"}});
  EXPECT_NEAR(offset(*faulted_), 5 * kSecond, 0.1 * kSecond);
  EXPECT_NEAR(offset(*faulted_, "g"), 5 * kSecond, 0.1 * kSecond);
  EXPECT_NEAR(offset(*faulted_, "t"), 5 * kSecond, 1.1 * kSecond);
  EXPECT_NEAR(offset(*bystander_), 0, 0.05 * kSecond) << "another process must see true time";
  EXPECT_NEAR(offset(*faulted_, "m", CLOCK_MONOTONIC), 0, 0.05 * kSecond) << "monotonic was not asked for";
  heal(skew);
  EXPECT_NEAR(offset(*faulted_), 0, 0.05 * kSecond);

  auto drift = apply({{"kind", "clock-drift"}, {"rate", 2}});
  auto t1 = true_now(CLOCK_REALTIME);
  double o1 = offset(*faulted_);
  std::this_thread::sleep_for(500ms);
  double o2 = offset(*faulted_);
  auto t2 = true_now(CLOCK_REALTIME);
  // At rate 2 the offset grows by the elapsed true time.
  EXPECT_NEAR(o2 - o1, static_cast<double>(t2 - t1), 0.08 * kSecond);
  EXPECT_GT(o2 - o1, 0.4 * kSecond);
  EXPECT_NEAR(offset(*bystander_), 0, 0.05 * kSecond);
  heal(drift);
  EXPECT_NEAR(offset(*faulted_), 0, 0.05 * kSecond);

  auto stop = apply({{"kind", "clock-stop"}});
  auto first = faulted_->ask("r", 3s);
  std::this_thread::sleep_for(300ms);
  auto second = faulted_->ask("r", 3s);
  ASSERT_TRUE(first && second);
  EXPECT_EQ(*first, *second) << "a stopped clock does not move";
  EXPECT_NEAR(offset(*bystander_), 0, 0.05 * kSecond);
  heal(stop);
  EXPECT_NEAR(offset(*faulted_), 0, 0.05 * kSecond);
  auto page = ClockPageFile::open(clock_page_path(host_.state_dir));
  ASSERT_TRUE(page);
  ClockMap maps[kSlotCount];
  page->snapshot(maps);
  EXPECT_TRUE(maps[kRealtime].identity()) << "every fault healed: exactly true time";
}

TEST_F(PreloadFixture, MonotonicNeverGoesBackwardsUnderUpdatesAndHeals) {
  ASSERT_EQ(faulted_->ask("watch", 3s), std::optional<std::string>("watching"));
  auto skew = apply({{"kind", "clock-skew"}, {"offset", "+5s"}, {"monotonic", true}});
  EXPECT_NEAR(offset(*faulted_, "m", CLOCK_MONOTONIC), 5 * kSecond, 0.1 * kSecond);
  EXPECT_NEAR(offset(*faulted_, "b", CLOCK_BOOTTIME), 5 * kSecond, 0.1 * kSecond);
  double before_heal = offset(*faulted_, "m", CLOCK_MONOTONIC);
  heal(skew);
  EXPECT_GE(offset(*faulted_, "m", CLOCK_MONOTONIC), before_heal - 0.05 * kSecond) << "no jump back on heal";
  EXPECT_NEAR(offset(*faulted_), 0, 0.05 * kSecond) << "realtime is back to true time";

  for (int round = 0; round < 15; ++round) {
    auto drift = apply({{"kind", "clock-drift"}, {"rate", 3}, {"monotonic", true}});
    std::this_thread::sleep_for(5ms);
    auto stop = apply({{"kind", "clock-stop"}, {"monotonic", true}});
    std::this_thread::sleep_for(5ms);
    heal(drift);
    auto bump = apply({{"kind", "clock-skew"}, {"offset", "10ms"}, {"clocks", nlohmann::json::array({"monotonic"})}});
    heal(stop);
    std::this_thread::sleep_for(5ms);
    heal(bump);
  }
  auto report = faulted_->ask("report", 3s);
  ASSERT_TRUE(report);
  long long reads = 0, backwards = -1, worst = 0;
  std::sscanf(report->c_str(), "%lld %lld %lld", &reads, &backwards, &worst);
  EXPECT_GT(reads, 1000);
  EXPECT_EQ(backwards, 0) << "largest backwards step " << worst << " ns";
}

TEST(TimeNamespace, StartsAProgramWithMonotonicAndBoottimeOffsets) {
  auto probe = probe_time_namespaces();
  if (!probe.available) GTEST_SKIP() << probe.reason;
  auto out = std::filesystem::temp_directory_path() / ("timens-" + std::to_string(::getpid()));
  auto pid = spawn_with_time_offsets(
      {"/bin/sh", "-c", probe_program().string() + " once > " + out.string()},
      TimeOffsets{1000'000'000'000, 2000'000'000'000});
  ASSERT_TRUE(pid) << pid.error().message;
  int status = 0;
  ASSERT_EQ(::waitpid(*pid, &status, 0), *pid);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  long long mono = 0, boot = 0;
  std::ifstream(out) >> mono >> boot;
  std::filesystem::remove(out);
  EXPECT_NEAR(static_cast<double>(mono - true_now(CLOCK_MONOTONIC)), 1000 * kSecond, 2 * kSecond);
  EXPECT_NEAR(static_cast<double>(boot - true_now(CLOCK_BOOTTIME)), 2000 * kSecond, 2 * kSecond);
  auto bad = spawn_with_time_offsets({"/nonexistent/program"}, TimeOffsets{});
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("/nonexistent/program"), std::string::npos);
}

}  // namespace
}  // namespace faultline::faults::clock
