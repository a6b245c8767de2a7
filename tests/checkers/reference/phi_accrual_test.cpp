#include "checkers/reference/phi_accrual.h"

#include <cmath>

#include <gtest/gtest.h>

#include "tests/checkers/reference/printers.h"
#include "common/units.h"

namespace faultline::reference {
namespace {

// Akka's own expectations (PhiAccrualFailureDetectorSpec, "return realistic
// phi values"): mean 1000ms, std deviation 100ms.
TEST(PhiAccrual, FormulaMatchesAkkasRealisticValues) {
  const std::pair<double, double> cases[] = {{0, 0.0},    {500, 0.1},  {1000, 0.3}, {1200, 1.6},
                                             {1400, 4.7}, {1600, 10.8}, {1700, 15.3}};
  for (auto [diff, expected] : cases) EXPECT_NEAR(phi_of(diff, 1000, 100), expected, 0.1) << diff;
  EXPECT_LT(phi_of(1100, 1000, 500), phi_of(1100, 1000, 100));
}

TEST(PhiAccrual, FormulaIsTheLogisticApproximation) {
  // y = 1, e = exp(-(1.5976 + 0.070566)), Δ > mean: phi = -log10(e / (1 + e)).
  double e = std::exp(-(1.5976 + 0.070566));
  EXPECT_DOUBLE_EQ(phi_of(1100, 1000, 100), -std::log10(e / (1 + e)));
  EXPECT_DOUBLE_EQ(phi_of(1000, 1000, 100), -std::log10(0.5));
}

TEST(PhiAccrual, DefaultsAreAkkas) {
  PhiAccrualConfig c;
  EXPECT_EQ(c.threshold, 8.0);
  EXPECT_EQ(c.max_sample_size, 1000u);
  EXPECT_EQ(c.min_std_deviation, 100 * kMillisecond);
  EXPECT_EQ(c.acceptable_heartbeat_pause, 3000 * kMillisecond);
  EXPECT_EQ(c.first_heartbeat_estimate, 1000 * kMillisecond);
}

TEST(PhiAccrual, PhiUsesWindowMeanPlusPauseAndMinStdDeviation) {
  PhiAccrualDetector d("me");
  EXPECT_EQ(d.phi("n2", 5000 * kMillisecond), 0.0) << "unknown node";
  d.heartbeat("n2", 0);
  // Seeded window: 750, 1250 (estimate 1000 -/+ 250).
  for (Nanos t = 1000; t <= 3000; t += 1000) d.heartbeat("n2", t * kMillisecond);
  const HeartbeatHistory* h = d.history("n2");
  ASSERT_NE(h, nullptr);
  EXPECT_EQ(h->size(), 5u);
  EXPECT_DOUBLE_EQ(h->mean(), 1000.0);
  EXPECT_NEAR(h->std_deviation(), std::sqrt(25000.0), 1e-9);
  // mean = 1000 + 3000 (pause); sd = 158.1 ms.
  EXPECT_DOUBLE_EQ(d.phi("n2", 3000 * kMillisecond + 4000 * kMillisecond), phi_of(4000, 4000, std::sqrt(25000.0)));
  EXPECT_DOUBLE_EQ(d.phi("n2", 3000 * kMillisecond + 4500 * kMillisecond), phi_of(4500, 4000, std::sqrt(25000.0)));
}

TEST(PhiAccrual, MinStdDeviationAppliesToRegularHeartbeats) {
  PhiAccrualConfig c;
  c.max_sample_size = 3;  // the seeded samples fall out of the window
  PhiAccrualDetector d("me", c);
  for (Nanos t = 0; t <= 5000; t += 1000) d.heartbeat("n2", t * kMillisecond);
  EXPECT_DOUBLE_EQ(d.history("n2")->std_deviation(), 0.0);
  EXPECT_DOUBLE_EQ(d.phi("n2", 5000 * kMillisecond + 4200 * kMillisecond), phi_of(4200, 4000, 100));
}

TEST(PhiAccrual, SuspectAtThresholdAliveAgainOnHeartbeat) {
  PhiAccrualDetector d("me");
  for (Nanos t = 0; t <= 3000; t += 1000) d.heartbeat("n2", t * kMillisecond);
  // phi crosses 8 between 3s + 4.5s and 3s + 5s (mean 4000ms, sd 158ms).
  EXPECT_TRUE(d.evaluate(3000 * kMillisecond + 4400 * kMillisecond).empty());
  EXPECT_TRUE(d.available("n2", 7400 * kMillisecond));
  auto changes = d.evaluate(3000 * kMillisecond + 5000 * kMillisecond);
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_EQ(changes[0], (StatusChange{8000 * kMillisecond, "me", "n2", Status::kSuspect, 0}));
  EXPECT_FALSE(d.available("n2", 8000 * kMillisecond));
  // The heartbeat after the failure is not a sample (Akka), but revives.
  auto back = d.heartbeat("n2", 9000 * kMillisecond);
  ASSERT_EQ(back.size(), 1u);
  EXPECT_EQ(back[0].status, Status::kAlive);
  EXPECT_EQ(d.history("n2")->size(), 5u);
  EXPECT_EQ(d.status("n2"), Status::kAlive);
}

TEST(PhiAccrual, OptionalDeadThreshold) {
  PhiAccrualConfig c;
  c.dead_threshold = 16;
  PhiAccrualDetector d("me", c);
  for (Nanos t = 0; t <= 3000; t += 1000) d.heartbeat("n2", t * kMillisecond);
  EXPECT_EQ(d.evaluate(8000 * kMillisecond).at(0).status, Status::kSuspect);
  EXPECT_EQ(d.evaluate(60000 * kMillisecond).at(0).status, Status::kDead);
}

TEST(PhiAccrual, WindowIsBounded) {
  PhiAccrualConfig c;
  c.max_sample_size = 10;
  PhiAccrualDetector d("me", c);
  for (Nanos t = 0; t <= 100; ++t) d.heartbeat("n2", t * 100 * kMillisecond);
  EXPECT_EQ(d.history("n2")->size(), 10u);
  EXPECT_DOUBLE_EQ(d.history("n2")->mean(), 100.0);
}

}  // namespace
}  // namespace faultline::reference
