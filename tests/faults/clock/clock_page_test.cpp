// The clock page (faults/clock/clock_page.h, clock_page_file.h): skew, drift
// and stop semantics, heal back to true time, monotonic never backwards
// across heal (folding), idempotent ids, and no torn reads under a writer.
#include <gtest/gtest.h>

#include <unistd.h>

#include <atomic>
#include <fstream>
#include <chrono>
#include <thread>

#include "faults/clock/clock_page.h"
#include "faults/clock/clock_page_file.h"
#include "common/units.h"

namespace faultline::faults::clock {
namespace {

using namespace std::chrono_literals;

struct PageFixture : ::testing::Test {
  std::filesystem::path dir;
  void SetUp() override {
    dir = std::filesystem::temp_directory_path() /
          ("clock-page-" + std::to_string(::getpid()) + "-" + ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir);
  }
  void TearDown() override { std::filesystem::remove_all(dir); }
  ClockPageFile open() {
    auto page = ClockPageFile::open(clock_page_path(dir));
    EXPECT_TRUE(page) << page.error().message;
    return std::move(page.value());
  }
  static ClockMap slot(const ClockPageFile& page, int s) {
    ClockMap maps[kSlotCount];
    page.snapshot(maps);
    return maps[s];
  }
  static std::int64_t offset_now(const ClockPageFile& page, int s) {
    auto now = true_slot_now(s);
    return slot(page, s).apply(now) - now;
  }
};

constexpr int kAll = (1 << kRealtime) | (1 << kMonotonic) | (1 << kBoottime);

TEST_F(PageFixture, FreshPageIsIdentity) {
  auto page = open();
  for (int s = 0; s < kSlotCount; ++s) EXPECT_TRUE(slot(page, s).identity());
  EXPECT_EQ(std::filesystem::file_size(clock_page_path(dir)), sizeof(ClockPage));
}

TEST_F(PageFixture, SkewShiftsRealtimeOnlyAndHealReturnsToTrueTime) {
  auto page = open();
  ASSERT_TRUE(page.add({"s1", kSkew, 1 << kRealtime, 5 * kSecond}));
  EXPECT_NEAR(static_cast<double>(offset_now(page, kRealtime)), 5e9, 5e7);
  EXPECT_TRUE(slot(page, kMonotonic).identity());
  ASSERT_TRUE(page.add({"s1", kSkew, 1 << kRealtime, 5 * kSecond}));  // same id: no double skew
  EXPECT_NEAR(static_cast<double>(offset_now(page, kRealtime)), 5e9, 5e7);
  ASSERT_TRUE(page.add({"s2", kSkew, 1 << kRealtime, -2 * kSecond}));
  EXPECT_NEAR(static_cast<double>(offset_now(page, kRealtime)), 3e9, 5e7);
  ASSERT_TRUE(page.remove("s1"));
  EXPECT_NEAR(static_cast<double>(offset_now(page, kRealtime)), -2e9, 5e7);
  ASSERT_TRUE(page.remove("s2"));
  EXPECT_TRUE(slot(page, kRealtime).identity()) << "no fault left: exactly true time";
  ASSERT_TRUE(page.remove("s2"));  // idempotent
}

TEST_F(PageFixture, DriftAndStopSetTheRate) {
  auto page = open();
  ASSERT_TRUE(page.add({"d", kDrift, 1 << kRealtime, 2 * kSecond}));
  EXPECT_EQ(slot(page, kRealtime).rate_ppb, 2 * kSecond);
  auto map = slot(page, kRealtime);
  EXPECT_EQ(map.apply(map.anchor_true + 100) - map.apply(map.anchor_true), 200);
  ASSERT_TRUE(page.add({"stop", kStop, 1 << kRealtime, 0}));
  map = slot(page, kRealtime);
  EXPECT_EQ(map.rate_ppb, 0);
  EXPECT_EQ(map.apply(map.anchor_true + kSecond), map.apply(map.anchor_true));
  ASSERT_TRUE(page.remove("stop"));
  EXPECT_EQ(slot(page, kRealtime).rate_ppb, 2 * kSecond) << "the drift is still active";
  ASSERT_TRUE(page.remove("d"));
  EXPECT_TRUE(slot(page, kRealtime).identity());
}

TEST_F(PageFixture, MonotonicNeverGoesBackwardsAcrossHeal) {
  auto page = open();
  // Skew +5s on every clock, then heal: realtime returns, monotonic keeps the 5 s.
  ASSERT_TRUE(page.add({"skew", kSkew, kAll, 5 * kSecond}));
  auto before = slot(page, kMonotonic).apply(true_slot_now(kMonotonic));
  ASSERT_TRUE(page.remove("skew"));
  auto after = slot(page, kMonotonic).apply(true_slot_now(kMonotonic));
  EXPECT_GE(after, before);
  EXPECT_NEAR(static_cast<double>(offset_now(page, kMonotonic)), 5e9, 5e7) << "offset folded in";
  EXPECT_EQ(slot(page, kMonotonic).rate_ppb, kRateOne);
  EXPECT_TRUE(slot(page, kRealtime).identity());

  // Drift 3x for a while, then heal: monotonic continues from where it was.
  ASSERT_TRUE(page.add({"drift", kDrift, kAll, 3 * kSecond}));
  std::this_thread::sleep_for(50ms);
  before = slot(page, kBoottime).apply(true_slot_now(kBoottime));
  ASSERT_TRUE(page.remove("drift"));
  after = slot(page, kBoottime).apply(true_slot_now(kBoottime));
  EXPECT_GE(after, before);

  // Stop, then heal: monotonic jumps forward (never back) to true time + folded offset.
  ASSERT_TRUE(page.add({"stop", kStop, kAll, 0}));
  before = slot(page, kMonotonic).apply(true_slot_now(kMonotonic));
  std::this_thread::sleep_for(30ms);
  ASSERT_TRUE(page.remove("stop"));
  after = slot(page, kMonotonic).apply(true_slot_now(kMonotonic));
  EXPECT_GE(after, before + 25'000'000);
}

TEST_F(PageFixture, AFreshWriterSeesTheActiveFaults) {
  {
    auto page = open();
    ASSERT_TRUE(page.add({"s", kSkew, 1 << kRealtime, kSecond}));
  }
  auto again = open();  // as after an agent restart
  EXPECT_TRUE(again.active("s"));
  ASSERT_TRUE(again.remove("s"));
  EXPECT_TRUE(slot(again, kRealtime).identity());
}

TEST_F(PageFixture, ForeignFileIsRefused) {
  std::ofstream(clock_page_path(dir)) << "not a page";
  auto page = ClockPageFile::open(clock_page_path(dir));
  ASSERT_FALSE(page);
  EXPECT_NE(page.error().message.find("clock.shm"), std::string::npos);
}

TEST_F(PageFixture, ReadersNeverSeeTornUpdates) {
  auto page = open();
  std::atomic<bool> stop{false};
  std::thread writer([&] {
    ClockMap maps[kSlotCount];
    for (std::int64_t k = 1; !stop.load(std::memory_order_relaxed); ++k) {
      for (auto& m : maps) m = ClockMap{k, 2 * k, 3 * k};
      write_clock_params(page.page(), maps);
    }
  });
  std::int64_t reads = 0, torn = 0, last_k = 0;
  auto until = std::chrono::steady_clock::now() + 300ms;
  while (std::chrono::steady_clock::now() < until) {
    ClockMap maps[kSlotCount];
    if (!read_clock_params(page.page(), maps)) {
      ADD_FAILURE() << "page became invalid";
      break;
    }
    ++reads;
    std::int64_t k = maps[0].anchor_true;
    if (k == 0) continue;  // the writer has not published yet: the identity page
    for (const auto& m : maps)
      if (m.anchor_true != k || m.anchor_fake != 2 * k || m.rate_ppb != 3 * k) ++torn;
    EXPECT_GE(k, last_k);
    last_k = k;
  }
  stop = true;
  writer.join();
  EXPECT_EQ(torn, 0) << "of " << reads << " reads";
  EXPECT_GT(last_k, 1) << "the writer made progress";
}

}  // namespace
}  // namespace faultline::faults::clock
