#include "checkers/reference/recovery_queue.h"

#include <gtest/gtest.h>

namespace faultline::reference {
namespace {

TEST(RecoveryQueue, DispatchesHighestPriorityFirstFifoAmongEquals) {
  RecoveryQueue q;
  std::vector<std::string> ran;
  auto strategy = [&](const RecoveryTask& t, Nanos) {
    ran.push_back(t.id);
    return StrategyResult{true, "restarted " + t.subject};
  };
  q.register_strategy("NodeCrash", strategy);
  q.register_strategy("StorageFull", strategy);
  q.enqueue({"t1", "NodeCrash", 1, "n1"}, 10);
  q.enqueue({"t2", "StorageFull", 5, "n2"}, 20);
  q.enqueue({"t3", "NodeCrash", 5, "n3"}, 30);
  q.enqueue({"t4", "NodeCrash", 9, "n4"}, 40);
  auto records = q.dispatch_all(100);
  EXPECT_EQ(ran, (std::vector<std::string>{"t4", "t2", "t3", "t1"}));
  ASSERT_EQ(records.size(), 4u);
  EXPECT_EQ(records[0].outcome, RecoveryOutcome::kSucceeded);
  EXPECT_EQ(records[0].detail, "restarted n4");
  EXPECT_EQ(records[0].enqueued_at, 40);
  EXPECT_EQ(records[0].dispatched_at, 100);
  EXPECT_EQ(q.records().size(), 4u);
  EXPECT_EQ(q.size(), 0u);
}

TEST(RecoveryQueue, StrategyFailuresAreRecorded) {
  RecoveryQueue q;
  q.register_strategy("NodeCrash", [](const RecoveryTask&, Nanos) { return StrategyResult{false, "ssh refused"}; });
  q.enqueue({"t1", "NodeCrash", 0, "n1"}, 0);
  auto r = q.dispatch_next(5);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->outcome, RecoveryOutcome::kFailed);
  EXPECT_EQ(r->detail, "ssh refused");
  EXPECT_FALSE(q.dispatch_next(6).has_value());
}

TEST(RecoveryQueue, UnknownTypesAreReportedNotDropped) {
  RecoveryQueue q;
  q.register_strategy("NodeCrash", [](const RecoveryTask&, Nanos) { return StrategyResult{true, ""}; });
  q.enqueue({"t1", "ClockSkew", 7, "n1"}, 0);
  q.enqueue({"t2", "NodeCrash", 1, "n2"}, 0);
  auto records = q.dispatch_all(10);
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[0].task.id, "t1");
  EXPECT_EQ(records[0].outcome, RecoveryOutcome::kUnknownType);
  EXPECT_NE(records[0].detail.find("'ClockSkew'"), std::string::npos);
  ASSERT_EQ(q.unhandled().size(), 1u);
  EXPECT_EQ(q.unhandled()[0].id, "t1");
  // Once a strategy exists, the kept task can be dispatched.
  q.register_strategy("ClockSkew", [](const RecoveryTask&, Nanos) { return StrategyResult{true, "stepped"}; });
  EXPECT_EQ(q.requeue_unhandled(20), 1u);
  EXPECT_TRUE(q.unhandled().empty());
  auto again = q.dispatch_next(30);
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(again->outcome, RecoveryOutcome::kSucceeded);
  EXPECT_EQ(q.records().size(), 3u);
  EXPECT_STREQ(to_string(RecoveryOutcome::kUnknownType), "unknown-type");
}

}  // namespace
}  // namespace faultline::reference
