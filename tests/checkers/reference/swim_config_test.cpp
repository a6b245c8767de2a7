#include "checkers/reference/swim_config.h"
#include "common/units.h"

#include <cmath>

#include <gtest/gtest.h>

namespace faultline::reference {
namespace {

TEST(SwimConfig, LanPresetIsMemberlistsDefaultLanConfig) {
  SwimConfig c = SwimConfig::lan();
  EXPECT_EQ(c.probe_interval, 1 * kSecond);
  EXPECT_EQ(c.probe_timeout, 500 * kMillisecond);
  EXPECT_EQ(c.indirect_checks, 3);
  EXPECT_EQ(c.suspicion_mult, 4);
  EXPECT_EQ(c.suspicion_max_timeout_mult, 6);
  EXPECT_EQ(c.retransmit_mult, 4);
  EXPECT_EQ(c.gossip_interval, 200 * kMillisecond);
  EXPECT_EQ(c.gossip_nodes, 3);
  EXPECT_FALSE(c.lifeguard());
  EXPECT_FALSE(c.bug_suspect_bumps_incarnation);
  EXPECT_TRUE(c.validate().ok());
}

TEST(SwimConfig, SuspicionTimeoutIsMultTimesLog10NTimesInterval) {
  // SuspicionMult * max(1, log10(n)) * ProbeInterval
  EXPECT_EQ(suspicion_timeout(4, 1, 1 * kSecond), 4 * kSecond);
  EXPECT_EQ(suspicion_timeout(4, 5, 1 * kSecond), 4 * kSecond);    // log10(5) < 1
  EXPECT_EQ(suspicion_timeout(4, 10, 1 * kSecond), 4 * kSecond);
  EXPECT_EQ(suspicion_timeout(4, 100, 1 * kSecond), 8 * kSecond);
  EXPECT_EQ(suspicion_timeout(4, 1000, 1 * kSecond), 12 * kSecond);
  EXPECT_EQ(suspicion_timeout(4, 200, 1 * kSecond), 9204 * kMillisecond);  // 4 * 2.301 (truncated to 1/1000)
  EXPECT_EQ(suspicion_timeout(5, 100, 200 * kMillisecond), 2 * kSecond);
}

TEST(SwimConfig, ConfirmationsShortenFromMaxToMin) {
  Nanos min = 4 * kSecond, max = 24 * kSecond;
  EXPECT_EQ(remaining_suspicion(0, 2, min, max), max);
  // max - log(2)/log(3) * (max - min), floored to the millisecond (suspicion.go)
  EXPECT_EQ(remaining_suspicion(1, 2, min, max),
            static_cast<Nanos>(std::floor(24e3 - std::log(2.0) / std::log(3.0) * 20e3)) * 1'000'000);
  EXPECT_NEAR(static_cast<double>(remaining_suspicion(1, 2, min, max)), 11.381e9, 1e7);
  EXPECT_EQ(remaining_suspicion(2, 2, min, max), min);
  EXPECT_EQ(remaining_suspicion(3, 2, min, max), min) << "never below min";
  EXPECT_EQ(remaining_suspicion(5, 0, min, max), min) << "k = 0: min";
}

TEST(SwimConfig, RetransmitLimitIsMultTimesCeilLog10) {
  EXPECT_EQ(retransmit_limit(4, 1), 4);
  EXPECT_EQ(retransmit_limit(4, 9), 4);
  EXPECT_EQ(retransmit_limit(4, 10), 8);  // ceil(log10(11)) = 2
  EXPECT_EQ(retransmit_limit(4, 200), 12);
  EXPECT_EQ(retransmit_limit(3, 1000), 12);  // ceil(log10(1001)) = 4
}

TEST(SwimConfig, ValidateNamesTheField) {
  SwimConfig c;
  c.probe_timeout = 2 * kSecond;
  auto r = c.validate();
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("probe_timeout"), std::string::npos);
  c = SwimConfig{};
  c.indirect_checks = -1;
  EXPECT_NE(c.validate().error().message.find("indirect_checks"), std::string::npos);
}

}  // namespace
}  // namespace faultline::reference
