// EDN histories -> History, and format detection in read_history_file.
#include "checkers/history/edn_reader.h"

#include <cstdio>
#include <fstream>

#include <gtest/gtest.h>

#include "checkers/history/jsonl_writer.h"
#include "checkers/history/reader.h"

namespace faultline::history {
namespace {

const ClientEvent& client(const Event& e) { return std::get<ClientEvent>(e.body); }

TEST(EdnReader, VectorOfOpMapsWithCommentsAndNemesis) {
  auto h = read_edn_history(R"(; a comment
[{:process 0, :type :invoke, :f :write, :value 3}
 {:process :nemesis, :type :info, :f :start, :value nil}
 ; another comment
 {:process 0, :type :ok, :f :write, :value 3, :time 120}
 {:process 1 :type :invoke :f :cas :value [3 4] :key "k" :node "n1" :index 7}
 {:process 1, :type :info, :f :cas, :value [3 4], :error :timeout}])",
                            "h.edn");
  ASSERT_TRUE(h.ok()) << h.error().message;
  ASSERT_EQ(h->events.size(), 4u);
  EXPECT_EQ(client(h->events[0]).type, OpType::kInvoke);
  EXPECT_EQ(client(h->events[0]).f, "write");
  EXPECT_EQ(client(h->events[0]).value, nlohmann::json(3));
  EXPECT_EQ(h->events[0].line, 2u);
  EXPECT_EQ(h->events[1].line, 5u);
  EXPECT_EQ(h->events[1].time, 120);
  EXPECT_EQ(h->events[1].index, 1u);
  EXPECT_EQ(client(h->events[2]).value, nlohmann::json::parse("[3,4]"));
  EXPECT_EQ(client(h->events[2]).key, nlohmann::json("k"));
  EXPECT_EQ(client(h->events[2]).node, "n1");
  EXPECT_EQ(client(h->events[3]).type, OpType::kInfo);
  EXPECT_EQ(h->events[3].extra, nlohmann::json({{"error", ":timeout"}}));
  EXPECT_EQ(to_json(h->events[3])["type"], "info");
}

TEST(EdnReader, OneMapPerLineAndLists) {
  auto h = read_edn_history("{:process 0, :type :invoke, :f :get, :key \"1\", :value nil}\n"
                            "{:process 0, :type :ok, :f :get, :key \"1\", :value \"x\"}\n",
                            "kv.txt");
  ASSERT_TRUE(h.ok()) << h.error().message;
  ASSERT_EQ(h->events.size(), 2u);
  EXPECT_EQ(h->events[1].line, 2u);
  EXPECT_EQ(client(h->events[1]).value, nlohmann::json("x"));
  auto list = read_edn_history("({:process 0, :type :invoke, :f :read})", "l.edn");
  ASSERT_TRUE(list.ok());
  EXPECT_TRUE(client(list->events[0]).value.is_null());
}

TEST(EdnReader, ErrorsNameSourceLineAndReason) {
  auto missing = read_edn_history("[{:process 0, :type :invoke, :f :read}\n {:type :ok, :f :read}]", "x.edn");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().message, "x.edn:2: op map has no :process");
  auto type = read_edn_history("{:process 0, :type :done, :f :read}", "x.edn");
  ASSERT_FALSE(type.ok());
  EXPECT_EQ(type.error().message, "x.edn:1: :type must be :invoke, :ok, :fail or :info, got :done");
  auto not_map = read_edn_history("[1]", "x.edn");
  ASSERT_FALSE(not_map.ok());
  EXPECT_EQ(not_map.error().message, "x.edn:1: expected an op map {:process .. :type ..}, got 1");
  auto syntax = read_edn_history("[{:process 0, :type :invoke\n :f :read]", "x.edn");
  ASSERT_FALSE(syntax.ok());
  EXPECT_EQ(syntax.error().message, "x.edn: line 2, column 10: expected '}', got ']'");
  auto unclosed = read_edn_history("[{:process 0, :type :invoke, :f :read}", "x.edn");
  ASSERT_FALSE(unclosed.ok());
  EXPECT_EQ(unclosed.error().message, "x.edn: line 1, column 39: expected ']' to close the top-level sequence, got end of input");
  auto trailing = read_edn_history("[] {:a 1}", "x.edn");
  ASSERT_FALSE(trailing.ok());
  EXPECT_EQ(trailing.error().message, "x.edn:1: unexpected form after the top-level sequence (column 4)");
  auto process = read_edn_history("{:process \"p\", :type :ok, :f :read}", "x.edn");
  ASSERT_FALSE(process.ok());
  EXPECT_EQ(process.error().message, "x.edn:1: :process must be an integer or :nemesis, got \"p\"");
}

TEST(EdnReader, ReadsEveryPublishedHistory) {
  for (const char* rel : {"knossos/cas-register/bad/cas-failure.edn", "knossos/cas-register/good/memstress3-0.edn",
                          "knossos/cas-register/bad/rethink-fail-minimal.edn", "porcupine-kv/c10-ok.txt"}) {
    std::string path = std::string(FAULTLINE_TESTDATA) + "/" + rel;
    auto h = read_history_file(path);
    ASSERT_TRUE(h.ok()) << h.error().message;
    EXPECT_GT(h->events.size(), 0u) << rel;
    for (const auto& e : h->events) ASSERT_TRUE(std::holds_alternative<ClientEvent>(e.body)) << rel;
  }
  auto h = read_history_file(std::string(FAULTLINE_TESTDATA) + "/knossos/cas-register/bad/cas-failure.edn");
  ASSERT_TRUE(h.ok());
  // 8 nemesis ops in the file are skipped; no other op is lost.
  std::ifstream in(std::string(FAULTLINE_TESTDATA) + "/knossos/cas-register/bad/cas-failure.edn");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::size_t maps = 0;
  for (std::size_t at = text.find(":process"); at != std::string::npos; at = text.find(":process", at + 1)) ++maps;
  EXPECT_EQ(h->events.size(), maps - 8);
}

TEST(Reader, DetectsFormatByExtensionThenContent) {
  EXPECT_EQ(detect_history_format("a.jsonl", "[1]"), HistoryFormat::kJsonl);
  EXPECT_EQ(detect_history_format("a.edn", "{\"time\":0}"), HistoryFormat::kEdn);
  EXPECT_EQ(detect_history_format("a.txt", "  {:process 0}"), HistoryFormat::kEdn);
  EXPECT_EQ(detect_history_format("a.txt", "{\"time\":0,\"type\":\"log\"}"), HistoryFormat::kJsonl);
  EXPECT_EQ(detect_history_format("a", "; comment\n[]"), HistoryFormat::kEdn);
  EXPECT_EQ(detect_history_format("a", "(\n)"), HistoryFormat::kEdn);
}

TEST(Reader, ReadsJsonlAndReportsMissingFiles) {
  std::string path = ::testing::TempDir() + "/lin_reader_" + std::to_string(::getpid()) + ".log";
  {
    std::ofstream out(path);
    out << R"({"time":0,"type":"invoke","process":1,"f":"write","value":2})" << "\n"
        << R"({"time":5,"type":"ok","process":1,"f":"write","value":2})" << "\n";
  }
  auto h = read_history_file(path);
  std::remove(path.c_str());
  ASSERT_TRUE(h.ok()) << h.error().message;
  EXPECT_EQ(h->events.size(), 2u);
  auto missing = read_history_file("/nonexistent/history.edn");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, ErrorCode::kIo);
  EXPECT_NE(missing.error().message.find("/nonexistent/history.edn: cannot open"), std::string::npos);
}

}  // namespace
}  // namespace faultline::history
