// Jepsen log op lines -> History, and their detection in read_history_file.
#include "checkers/history/jepsen_log_reader.h"

#include <cstdio>
#include <fstream>

#include <gtest/gtest.h>

#include "checkers/history/reader.h"

namespace faultline::history {
namespace {

const ClientEvent& client(const Event& e) { return std::get<ClientEvent>(e.body); }

TEST(JepsenLogReader, OpLinesInBothLayoutsOtherLinesSkipped) {
  auto h = read_jepsen_log_history(
      "INFO  jepsen.core - Running test\n"
      "INFO  jepsen.util - 0\t:invoke\t:read\tnil\n"
      "INFO  jepsen.util - 3   :invoke :cas    [1 2]\n"
      "INFO  jepsen.util - :nemesis\t:info\t:start\tnil\n"
      "\n"
      "INFO  jepsen.util - 3\t:info\t:cas\t:timed-out\n"
      "2017-03-01 10:00:00,123{GMT}\tINFO\t[jepsen worker 0] jepsen.util: 0\t:ok\t:read\t4\n"
      "INFO  jepsen.util - 0\t:fail\t:read\t:timed-out\n"
      "INFO  jepsen.util - some other message\n",
      "etcd.log");
  ASSERT_TRUE(h.ok()) << h.error().message;
  ASSERT_EQ(h->events.size(), 5u);
  EXPECT_EQ(client(h->events[0]).process, 0);
  EXPECT_EQ(client(h->events[0]).type, OpType::kInvoke);
  EXPECT_EQ(client(h->events[0]).f, "read");
  EXPECT_TRUE(client(h->events[0]).value.is_null());
  EXPECT_EQ(h->events[0].line, 2u);
  EXPECT_EQ(client(h->events[1]).value, nlohmann::json::parse("[1,2]"));
  EXPECT_EQ(client(h->events[2]).type, OpType::kInfo);
  EXPECT_EQ(client(h->events[2]).value, ":timed-out");
  EXPECT_EQ(h->events[2].line, 6u);
  EXPECT_EQ(client(h->events[3]).type, OpType::kOk);
  EXPECT_EQ(client(h->events[3]).value, 4);
  EXPECT_EQ(h->events[3].index, 3u);
  EXPECT_EQ(client(h->events[4]).type, OpType::kFail);
}

TEST(JepsenLogReader, ErrorAfterTheValueIsKept) {
  auto h = read_jepsen_log_history("INFO  jepsen.util - 1\t:info\t:write\t3\t:timed-out\n", "x.log");
  ASSERT_TRUE(h.ok()) << h.error().message;
  ASSERT_EQ(h->events.size(), 1u);
  EXPECT_EQ(client(h->events[0]).value, 3);
  EXPECT_EQ(h->events[0].extra, nlohmann::json({{"error", ":timed-out"}}));
}

TEST(JepsenLogReader, BadValueNamesTheLine) {
  auto h = read_jepsen_log_history("INFO  jepsen.util - 1\t:invoke\t:write\t3\nINFO  jepsen.util - 1\t:ok\t:write\t[3\n", "x.log");
  ASSERT_FALSE(h.ok());
  EXPECT_NE(h.error().message.find("x.log:2:"), std::string::npos) << h.error().message;
}

TEST(JepsenLogReader, OpLineShape) {
  EXPECT_TRUE(is_jepsen_log_op_line("INFO  jepsen.util - 12\t:ok\t:write\t3"));
  EXPECT_FALSE(is_jepsen_log_op_line("INFO  jepsen.util - 12\t:done\t:write\t3"));
  EXPECT_FALSE(is_jepsen_log_op_line("INFO  jepsen.util - x\t:ok\t:write\t3"));
  EXPECT_FALSE(is_jepsen_log_op_line("INFO  jepsen.core - 12\t:ok\t:write\t3"));
}

TEST(JepsenLogReader, DetectedByContent) {
  EXPECT_EQ(detect_history_format("h.log", "INFO  jepsen.util - 0\t:invoke\t:read\tnil\n"), HistoryFormat::kJepsenLog);
  EXPECT_EQ(detect_history_format("h.txt", "{:process 0, :type :invoke}"), HistoryFormat::kEdn);
  EXPECT_EQ(detect_history_format("h", "{\"time\":0,\"type\":\"log\"}"), HistoryFormat::kJsonl);
  const std::string path = ::testing::TempDir() + "/jepsen_log_reader_test.log";
  {
    std::ofstream out(path);
    out << "INFO  jepsen.util - 0\t:invoke\t:write\t1\nINFO  jepsen.util - 0\t:ok\t:write\t1\n";
  }
  auto h = read_history_file(path);
  std::remove(path.c_str());
  ASSERT_TRUE(h.ok()) << h.error().message;
  EXPECT_EQ(h->events.size(), 2u);
}

}  // namespace
}  // namespace faultline::history
