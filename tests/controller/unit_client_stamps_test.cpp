// How the controller times a client's ops from its pipe (client_stamps.h):
// invokes never later than they were written, completions never earlier,
// a client's own monotonic stamps used when they are possible.
#include <gtest/gtest.h>

#include "controller/run/client_stamps.h"

using namespace faultline;
using namespace faultline::controller;

TEST(OpLineSplitter, LinesTakeTheBoundsOfTheirFirstAndLastChunk) {
  OpLineSplitter s;
  auto lines = s.add("{\"a\":1}\n{\"b\"", /*written_after=*/100, /*read_at=*/150);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0].text, "{\"a\":1}");
  EXPECT_EQ(lines[0].written_after, 100);
  EXPECT_EQ(lines[0].read_at, 150);
  EXPECT_TRUE(s.has_partial());
  lines = s.add(":2}\n\n{\"c\":3}\n", 160, 170);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0].text, "{\"b\":2}");
  EXPECT_EQ(lines[0].written_after, 100);  // its first byte came in the first chunk
  EXPECT_EQ(lines[0].read_at, 170);        // its last in the second
  EXPECT_EQ(lines[1].text, "{\"c\":3}");
  EXPECT_EQ(lines[1].written_after, 160);
  EXPECT_FALSE(s.has_partial());
}

TEST(StampOp, WithoutAClientStampInvokeIsTheLowerBoundCompletionTheUpper) {
  TimedLine line{"", 100, 150};
  nlohmann::json invoke{{"type", "invoke"}};
  EXPECT_EQ(stamp_op(invoke, line).time, 100);
  nlohmann::json ok{{"type", "ok"}};
  EXPECT_EQ(stamp_op(ok, line).time, 150);
  nlohmann::json info{{"type", "info"}};
  EXPECT_EQ(stamp_op(info, line).time, 150);
}

TEST(StampOp, APossibleClientStampIsUsedAndRemoved) {
  TimedLine line{"", 100, 150};
  nlohmann::json invoke{{"type", "invoke"}, {"mono_ns", 90}};
  auto s = stamp_op(invoke, line);
  EXPECT_EQ(s.time, 90);  // before the pipe was last seen empty: the client waited before printing, fine
  EXPECT_TRUE(s.from_client);
  EXPECT_FALSE(invoke.contains("mono_ns"));
  nlohmann::json ok{{"type", "ok"}, {"mono_ns", 140}};
  EXPECT_EQ(stamp_op(ok, line).time, 140);
}

TEST(StampOp, AnImpossibleClientStampFallsBackToTheBounds) {
  TimedLine line{"", 100, 150};
  nlohmann::json late{{"type", "invoke"}, {"mono_ns", 151}};  // after the line was read
  auto s = stamp_op(late, line);
  EXPECT_EQ(s.time, 100);
  EXPECT_TRUE(s.rejected_client);
  nlohmann::json text{{"type", "ok"}, {"mono_ns", "soon"}};
  s = stamp_op(text, line);
  EXPECT_EQ(s.time, 150);
  EXPECT_TRUE(s.rejected_client);
  EXPECT_FALSE(text.contains("mono_ns"));
}
