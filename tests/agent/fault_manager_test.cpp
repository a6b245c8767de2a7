// Unit tests of FaultManager (journal-before-apply, leases, duration, heal,
// recovery) with the marker mechanism in a private registry: real files.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include <unistd.h>

#include "agent/core/fault_manager.h"
#include "tests/agent/marker_mechanism.h"
#include "tests/support/eventually.h"

namespace faultline::agent {
namespace {

using namespace std::chrono_literals;
using faultline::testing::eventually;

class FaultManagerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("faultline-fm-" + std::to_string(::getpid()) + "-" +
                                                     ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    registry_.add(testing::kMarkerKind, 0, [] { return std::make_unique<testing::MarkerMechanism>(); });
    host_.state_dir = dir_;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  faults::FaultSpec spec(const std::string& marker, const std::string& extra = "") {
    auto parsed = faults::FaultSpec::parse_text(R"({"kind":")" + std::string(testing::kMarkerKind) +
                                                R"(","delay":"1ms","x-marker":")" + (dir_ / marker).string() + "\"" + extra + "}");
    EXPECT_TRUE(parsed.ok());
    return *parsed;
  }
  bool exists(const std::string& marker) { return std::filesystem::exists(dir_ / marker); }

  std::filesystem::path dir_;
  faults::MechanismRegistry registry_;
  faults::HostContext host_;
};

TEST_F(FaultManagerTest, JournalsBeforeApplyAndHealsOnRequest) {
  Journal journal(dir_ / "journal.jsonl");
  FaultManager manager(registry_, host_, journal);
  ASSERT_TRUE(manager.recover().ok());
  auto applied = manager.apply(spec("m1"), std::nullopt, 1);
  ASSERT_TRUE(applied.ok()) << applied.error().message;
  EXPECT_EQ(applied->mechanism, "test-marker");
  EXPECT_TRUE(exists("m1"));
  auto loaded = journal.load();
  ASSERT_EQ(loaded->still_applied.size(), 1u);
  EXPECT_EQ(loaded->still_applied[0].record["marker"], (dir_ / "m1").string());
  EXPECT_EQ(loaded->still_applied[0].record["mechanism"], "test-marker");
  ASSERT_EQ(manager.list().size(), 1u);
  ASSERT_TRUE(manager.heal(applied->id).ok());
  EXPECT_FALSE(exists("m1"));
  EXPECT_TRUE(journal.load()->still_applied.empty());
  auto again = manager.heal(applied->id);
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code, ErrorCode::kNotFound);
}

TEST_F(FaultManagerTest, FailedApplyIsHealedAndReported) {
  Journal journal(dir_ / "journal.jsonl");
  FaultManager manager(registry_, host_, journal);
  ASSERT_TRUE(manager.recover().ok());
  auto applied = manager.apply(spec("m1", R"(,"x-fail_apply":true)"), std::nullopt, 1);
  ASSERT_FALSE(applied.ok());
  EXPECT_FALSE(exists("m1"));
  EXPECT_EQ(manager.size(), 0u);
  EXPECT_TRUE(journal.load()->still_applied.empty());
}

TEST_F(FaultManagerTest, BadSpecChangesNothing) {
  Journal journal(dir_ / "journal.jsonl");
  FaultManager manager(registry_, host_, journal);
  ASSERT_TRUE(manager.recover().ok());
  auto bad = faults::FaultSpec::parse_text(R"({"kind":")" + std::string(testing::kMarkerKind) + R"(","delay":"1ms"})");
  ASSERT_TRUE(bad.ok());
  auto applied = manager.apply(*bad, std::nullopt, 1);
  ASSERT_FALSE(applied.ok());
  EXPECT_EQ(applied.error().code, ErrorCode::kInvalidInput);
  EXPECT_TRUE(journal.load()->still_applied.empty());
}

TEST_F(FaultManagerTest, LeaseExpiryAndRenewal) {
  Journal journal(dir_ / "journal.jsonl");
  FaultManager manager(registry_, host_, journal);
  ASSERT_TRUE(manager.recover().ok());
  manager.start();
  auto renewed = manager.apply(spec("renewed"), 300'000'000, 1);
  auto orphan = manager.apply(spec("orphan"), 300'000'000, 2);
  ASSERT_TRUE(renewed.ok() && orphan.ok());
  auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < 6; ++i) {
    std::this_thread::sleep_for(100ms);
    EXPECT_EQ(manager.renew(1), 1u);
  }
  EXPECT_TRUE(exists("renewed"));
  EXPECT_FALSE(exists("orphan"));
  EXPECT_TRUE(eventually([&] { return !exists("renewed"); }, 1500ms));
  EXPECT_LT(std::chrono::steady_clock::now() - start, 2s);
}

TEST_F(FaultManagerTest, DurationHealsEvenWhenRenewed) {
  Journal journal(dir_ / "journal.jsonl");
  FaultManager manager(registry_, host_, journal);
  ASSERT_TRUE(manager.recover().ok());
  manager.start();
  auto start = std::chrono::steady_clock::now();
  ASSERT_TRUE(manager.apply(spec("d", R"(,"duration":"300ms")"), 10'000'000'000, 1).ok());
  EXPECT_TRUE(exists("d"));
  EXPECT_TRUE(eventually([&] { manager.renew(1); return !exists("d"); }, 2000ms));
  auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_GE(elapsed, 290ms);
  EXPECT_LT(elapsed, 1300ms);
  EXPECT_TRUE(journal.load()->still_applied.empty());
}

TEST_F(FaultManagerTest, RecoverHealsWhatAPreviousRunLeftAndCompacts) {
  {
    Journal journal(dir_ / "journal.jsonl");
    FaultManager manager(registry_, host_, journal);
    ASSERT_TRUE(manager.recover().ok());
    ASSERT_TRUE(manager.apply(spec("a"), std::nullopt, 1).ok());
    auto b = manager.apply(spec("b"), std::nullopt, 1);
    ASSERT_TRUE(manager.apply(spec("c"), std::nullopt, 1).ok());
    ASSERT_TRUE(manager.heal(b->id).ok());
    // no shutdown(): as if the agent died here
  }
  EXPECT_TRUE(exists("a") && exists("c") && !exists("b"));
  Journal journal(dir_ / "journal.jsonl");
  FaultManager manager(registry_, host_, journal);
  auto report = manager.recover();
  ASSERT_TRUE(report.ok());
  EXPECT_EQ(report->healed, 2u);
  EXPECT_FALSE(exists("a") || exists("c"));
  std::ifstream in(dir_ / "journal.jsonl");
  std::string content((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  // Compacted to no record at all: what remains is the preallocated padding.
  EXPECT_EQ(content.find_first_not_of('\n'), std::string::npos) << content;
  EXPECT_TRUE(journal.load()->still_applied.empty());
}

// The journal syncs to disk only for faults whose effect outlives a reboot:
// the kernel state of network, pause and cpu faults goes with the host.
TEST(FaultDurability, NetworkAndProcessStateFaultsAreCrashSafeFilesAndClocksSynced) {
  auto& registry = faults::MechanismRegistry::instance();
  for (std::string kind : {"partition", "delay", "loss", "duplicate", "corrupt", "reorder", "bandwidth",
                           "blackhole-out", "pause", "cpu-throttle"}) {
    auto mechanisms = registry.candidates(kind);
    ASSERT_FALSE(mechanisms.empty()) << kind;
    for (auto* m : mechanisms) EXPECT_FALSE(m->survives_reboot()) << kind << " via " << m->name();
  }
  for (std::string kind : {"disk-fill", "corrupt-file", "lose-unsynced", "disk-error", "disk-slow", "kill",
                           "clock-skew", "clock-drift", "clock-stop"}) {
    auto mechanisms = registry.candidates(kind);
    ASSERT_FALSE(mechanisms.empty()) << kind;
    for (auto* m : mechanisms) EXPECT_TRUE(m->survives_reboot()) << kind << " via " << m->name();
  }
}

TEST_F(FaultManagerTest, ShutdownHealsEverything) {
  Journal journal(dir_ / "journal.jsonl");
  FaultManager manager(registry_, host_, journal);
  ASSERT_TRUE(manager.recover().ok());
  manager.start();
  for (auto name : {"x", "y", "z"}) ASSERT_TRUE(manager.apply(spec(name), std::nullopt, 1).ok());
  manager.shutdown();
  EXPECT_FALSE(exists("x") || exists("y") || exists("z"));
  EXPECT_EQ(manager.size(), 0u);
}

}  // namespace
}  // namespace faultline::agent
