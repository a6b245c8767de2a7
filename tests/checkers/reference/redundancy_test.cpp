#include "checkers/reference/redundancy.h"
#include "common/units.h"

#include <gtest/gtest.h>

namespace faultline::reference {
namespace {

using V = std::vector<std::string>;

QuorumOperation make(V primaries, V backups, std::size_t quorum, Nanos timeout = 0, bool failover = false) {
  auto r = QuorumOperation::make(QuorumConfig{std::move(primaries), std::move(backups), quorum, timeout, failover});
  EXPECT_TRUE(r.ok()) << r.error().message;
  return std::move(r).value();
}

TEST(Quorum, SucceedsTheInstantAQuorumSucceedsAndCancelsTheRest) {
  auto op = make({"r1", "r2", "r3"}, {}, 2);
  EXPECT_EQ(op.start(0), (V{"r1", "r2", "r3"}));
  EXPECT_EQ(op.succeeded("r2", 10 * kMillisecond).outcome, QuorumOutcome::kPending);
  auto step = op.succeeded("r3", 20 * kMillisecond);
  EXPECT_EQ(step.outcome, QuorumOutcome::kSucceeded);
  EXPECT_EQ(step.cancel, V{"r1"});
  EXPECT_EQ(op.decided_at(), 20 * kMillisecond);
  // Later results change nothing.
  auto late = op.failed("r1", 30 * kMillisecond);
  EXPECT_EQ(late.outcome, QuorumOutcome::kSucceeded);
  EXPECT_TRUE(late.cancel.empty());
  EXPECT_EQ(op.decided_at(), 20 * kMillisecond);
}

TEST(Quorum, FailsTheInstantAQuorumIsOutOfReach) {
  auto op = make({"r1", "r2", "r3"}, {}, 2);
  op.start(0);
  EXPECT_EQ(op.failed("r1", 5 * kMillisecond).outcome, QuorumOutcome::kPending);
  auto step = op.failed("r3", 6 * kMillisecond);
  EXPECT_EQ(step.outcome, QuorumOutcome::kFailed) << "1 outstanding + 0 successes < 2";
  EXPECT_EQ(step.cancel, V{"r2"});
  EXPECT_EQ(op.succeeded("r2", 7 * kMillisecond).outcome, QuorumOutcome::kFailed);
}

TEST(Quorum, DuplicateAndUnknownResultsAreIgnored) {
  auto op = make({"r1", "r2", "r3"}, {}, 2);
  op.start(0);
  op.succeeded("r1", 1);
  EXPECT_EQ(op.succeeded("r1", 2).outcome, QuorumOutcome::kPending) << "r1 counted once";
  EXPECT_EQ(op.succeeded("zz", 3).outcome, QuorumOutcome::kPending);
  EXPECT_EQ(op.successes(), 1u);
}

TEST(Quorum, FailsOverToBackupsWhenAReplicaIsDeclaredDead) {
  auto op = make({"r1", "r2", "r3"}, {"b1", "b2"}, 3);
  op.start(0);
  op.succeeded("r1", 1 * kMillisecond);
  auto step = op.replica_dead("r2", 2 * kMillisecond);
  EXPECT_EQ(step.dispatch, V{"b1"});
  EXPECT_EQ(op.state("r2"), ReplicaState::kDead);
  EXPECT_EQ(op.succeeded("r2", 3 * kMillisecond).outcome, QuorumOutcome::kPending) << "a dead replica's late ack is ignored";
  EXPECT_EQ(op.successes(), 1u);
  step = op.replica_dead("b1", 4 * kMillisecond);
  EXPECT_EQ(step.dispatch, V{"b2"});
  op.succeeded("r3", 5 * kMillisecond);
  step = op.succeeded("b2", 6 * kMillisecond);
  EXPECT_EQ(step.outcome, QuorumOutcome::kSucceeded);
  EXPECT_EQ(op.dispatched(), (V{"r1", "r2", "r3", "b1", "b2"}));
}

TEST(Quorum, FailsWhenBackupsRunOut) {
  auto op = make({"r1", "r2"}, {"b1"}, 2);
  op.start(0);
  EXPECT_EQ(op.replica_dead("r1", 1).dispatch, V{"b1"});
  auto step = op.replica_dead("b1", 2);
  EXPECT_TRUE(step.dispatch.empty());
  EXPECT_EQ(step.outcome, QuorumOutcome::kFailed);
  EXPECT_EQ(step.cancel, V{"r2"});
}

TEST(Quorum, ABackupDeclaredDeadBeforeUseIsSkipped) {
  auto op = make({"r1", "r2"}, {"b1", "b2"}, 2);
  op.start(0);
  op.replica_dead("b1", 1);
  EXPECT_EQ(op.replica_dead("r1", 2).dispatch, V{"b2"});
}

TEST(Quorum, PlainFailuresFailOverOnlyWhenAsked) {
  auto plain = make({"r1", "r2"}, {"b1"}, 2);
  plain.start(0);
  auto step = plain.failed("r1", 1);
  EXPECT_TRUE(step.dispatch.empty());
  EXPECT_EQ(step.outcome, QuorumOutcome::kPending) << "b1 could still be used by a failover";
  auto over = make({"r1", "r2"}, {"b1"}, 2, 0, true);
  over.start(0);
  EXPECT_EQ(over.failed("r1", 1).dispatch, V{"b1"});
}

TEST(Quorum, DeadlineFailsAPendingOperation) {
  auto op = make({"r1", "r2", "r3"}, {}, 2, 100 * kMillisecond);
  op.start(10 * kMillisecond);
  op.succeeded("r1", 20 * kMillisecond);
  EXPECT_EQ(op.tick(109 * kMillisecond).outcome, QuorumOutcome::kPending);
  auto step = op.tick(110 * kMillisecond);
  EXPECT_EQ(step.outcome, QuorumOutcome::kFailed);
  EXPECT_EQ(step.cancel, (V{"r2", "r3"}));
}

TEST(Quorum, BadConfigurationsAreRejected) {
  EXPECT_FALSE(QuorumOperation::make(QuorumConfig{{"a"}, {}, 0, 0, false}).ok());
  auto r = QuorumOperation::make(QuorumConfig{{"a", "b"}, {"c"}, 4, 0, false});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("exceeds the 3 replicas"), std::string::npos);
  auto dup = QuorumOperation::make(QuorumConfig{{"a", "b"}, {"a"}, 1, 0, false});
  ASSERT_FALSE(dup.ok());
  EXPECT_NE(dup.error().message.find("'a' named twice"), std::string::npos);
}

}  // namespace
}  // namespace faultline::reference
