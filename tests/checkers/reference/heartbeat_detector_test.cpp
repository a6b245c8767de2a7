#include "checkers/reference/heartbeat_detector.h"

#include <gtest/gtest.h>

#include "tests/checkers/reference/printers.h"
#include "common/units.h"

namespace faultline::reference {
namespace {

StatusChange change(Nanos t, const std::string& subject, Status s) { return {t, "me", subject, s, 0}; }

TEST(HeartbeatDetector, SilentNodeTurnsSuspectAtHalfTimeoutThenDead) {
  HeartbeatDetector d("me", HeartbeatConfig{2 * kSecond});
  d.heartbeat("n2", 0);
  EXPECT_TRUE(d.evaluate(999 * kMillisecond).empty());
  EXPECT_EQ(d.status("n2"), Status::kAlive);
  EXPECT_EQ(d.evaluate(1 * kSecond), (std::vector<StatusChange>{change(1 * kSecond, "n2", Status::kSuspect)}));
  EXPECT_TRUE(d.evaluate(1999 * kMillisecond).empty());
  EXPECT_EQ(d.failure_count("n2"), 0u);
  EXPECT_EQ(d.evaluate(2 * kSecond), (std::vector<StatusChange>{change(2 * kSecond, "n2", Status::kDead)}));
  EXPECT_EQ(d.status("n2"), Status::kDead);
  EXPECT_EQ(d.failure_count("n2"), 1u);
  EXPECT_TRUE(d.evaluate(10 * kSecond).empty()) << "dead is reported once";
  EXPECT_EQ(d.failure_count("n2"), 1u);
}

TEST(HeartbeatDetector, NextHeartbeatRevivesAndFailuresAreCounted) {
  HeartbeatDetector d("me", HeartbeatConfig{2 * kSecond});
  d.heartbeat("n2", 0);
  d.evaluate(2 * kSecond);
  EXPECT_EQ(d.heartbeat("n2", 3 * kSecond), (std::vector<StatusChange>{change(3 * kSecond, "n2", Status::kAlive)}));
  EXPECT_EQ(d.status("n2"), Status::kAlive);
  EXPECT_TRUE(d.evaluate(3500 * kMillisecond).empty());
  EXPECT_EQ(d.evaluate(4 * kSecond), (std::vector<StatusChange>{change(4 * kSecond, "n2", Status::kSuspect)}));
  EXPECT_EQ(d.heartbeat("n2", 4500 * kMillisecond), (std::vector<StatusChange>{change(4500 * kMillisecond, "n2", Status::kAlive)}));
  EXPECT_EQ(d.failure_count("n2"), 1u) << "a suspicion is not a failure";
  EXPECT_EQ(d.evaluate(6500 * kMillisecond).back().status, Status::kDead);
  EXPECT_EQ(d.failure_count("n2"), 2u);
}

TEST(HeartbeatDetector, ChangesAreDesignHistoryLines) {
  HeartbeatDetector d("n1", HeartbeatConfig{2 * kSecond});
  d.heartbeat("n3", 0);
  auto changes = d.evaluate(6'100'000'000);
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_EQ(to_history_line(changes[0]),
            R"({"time":6100000000,"type":"detector","node":"n1","subject":"n3","status":"dead","incarnation":0})");
  EXPECT_STREQ(to_string(Status::kSuspect), "suspect");
}

TEST(HeartbeatDetector, LongSilenceGoesStraightToDeadInOneSweep) {
  HeartbeatDetector d("me", HeartbeatConfig{2 * kSecond});
  d.heartbeat("n2", 0);
  d.heartbeat("n3", 4500 * kMillisecond);
  EXPECT_EQ(d.evaluate(5 * kSecond), (std::vector<StatusChange>{change(5 * kSecond, "n2", Status::kDead)}));
  EXPECT_EQ(d.status("n3"), Status::kAlive);
}

TEST(HeartbeatDetector, ListenerSeesEveryChangeAndHeartbeatsKeepNodesAlive) {
  HeartbeatDetector d("me", HeartbeatConfig{2 * kSecond});
  std::vector<StatusChange> seen;
  d.set_listener([&](const StatusChange& c) { seen.push_back(c); });
  d.add("n2", 0);
  for (Nanos t = 0; t <= 10 * kSecond; t += 900 * kMillisecond) {
    d.heartbeat("n2", t);
    d.evaluate(t + 899 * kMillisecond);
  }
  EXPECT_TRUE(seen.empty());
  d.evaluate(20 * kSecond);
  d.heartbeat("n2", 21 * kSecond, 7);
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[0].status, Status::kDead);
  EXPECT_EQ(seen[1], (StatusChange{21 * kSecond, "me", "n2", Status::kAlive, 7}));
}

// The classic mistake: the background task takes a copy of the node table and
// sweeps that. The copy is updated, the detector's table never is.
void correct_task(HeartbeatDetector& d, Nanos now) { sweep(d.table(), d.config(), d.observer(), now); }
void copying_task(HeartbeatDetector& d, Nanos now) {
  NodeTable nodes = d.table();  // the bug: a copy
  sweep(nodes, d.config(), d.observer(), now);
}

TEST(HeartbeatDetector, BackgroundSweepOfTheRealTableIsAccepted) {
  auto r = check_background_sweep(correct_task);
  EXPECT_TRUE(r.ok()) << r.error().message;
}

TEST(HeartbeatDetector, BackgroundSweepOfACopyIsCaught) {
  auto r = check_background_sweep(copying_task);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("node 'silent'"), std::string::npos) << r.error().message;
  EXPECT_NE(r.error().message.find("copy"), std::string::npos) << r.error().message;
}

TEST(HeartbeatDetector, CopyingTaskNeverReportsTheSilentNode) {
  HeartbeatDetector d("me", HeartbeatConfig{2 * kSecond});
  d.heartbeat("n2", 0);
  for (Nanos t = 0; t <= 60 * kSecond; t += 500 * kMillisecond) copying_task(d, t);
  EXPECT_EQ(d.status("n2"), Status::kAlive) << "the real table was never swept";
  EXPECT_EQ(d.failure_count("n2"), 0u);
  correct_task(d, 60 * kSecond);
  EXPECT_EQ(d.status("n2"), Status::kDead);
}

TEST(HeartbeatDetector, CheckRejectsATaskThatDoesNothingOrTouchesLiveNodes) {
  EXPECT_FALSE(check_background_sweep([](HeartbeatDetector&, Nanos) {}).ok());
  auto r = check_background_sweep([](HeartbeatDetector& d, Nanos now) {
    for (auto& [name, rec] : d.table()) rec.status = Status::kDead;
    (void)now;
  });
  EXPECT_FALSE(r.ok());
}

}  // namespace
}  // namespace faultline::reference
