// The strict JSONL history reader and the writer.
#include "checkers/history/jsonl_reader.h"

#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <set>
#include <sstream>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "checkers/findings.h"
#include "checkers/history/jsonl_writer.h"
#include "checkers/history/reader.h"

namespace faultline::history {
namespace {

Result<History> read(const std::string& text) {
  std::istringstream in(text);
  return read_jsonl_history(in, "h.jsonl");
}

void expect_error(const std::string& text, const std::string& fragment) {
  auto h = read(text);
  ASSERT_FALSE(h.ok()) << text;
  EXPECT_EQ(h.error().code, ErrorCode::kInvalidInput);
  EXPECT_NE(h.error().message.find(fragment), std::string::npos) << h.error().message;
}

const char* kDesignExample = R"({"time":0,"type":"cluster","nodes":["n1","n2","n3","n4","n5"]}
{"time":0,"type":"invoke","process":3,"f":"write","value":4,"node":"n2"}
{"time":912,"type":"ok","process":3,"f":"write","value":4,"node":"n2"}
{"time":5000000000,"type":"fault","phase":"start","id":"f1","fault":{"kind":"partition","mode":"halves"},"targets":["n1","n2","n3","n4","n5"],"grudge":{"n1":["n4","n5"],"n2":["n4","n5"],"n3":["n4","n5"],"n4":["n1","n2","n3"],"n5":["n1","n2","n3"]}}
{"time":5000000000,"type":"fault","phase":"start","id":"f2","fault":{"kind":"kill"},"targets":["n3"]}
{"time":15000000000,"type":"fault","phase":"end","id":"f1"}
{"time":6100000000,"type":"detector","node":"n1","subject":"n3","status":"suspect","incarnation":0}
{"time":7000000000,"type":"breaker","node":"n1","name":"peer-n3","event":"call","call":81,"permitted":true}
{"time":7000200000,"type":"breaker","node":"n1","name":"peer-n3","event":"result","call":81,"outcome":"failure"}
{"time":7000200000,"type":"breaker","node":"n1","name":"peer-n3","event":"transition","from":"closed","to":"open"}
{"time":7100000000,"type":"retry","node":"n1","op":17,"attempt":1,"delay":40000000,"outcome":"failure"}
)";

TEST(JsonlReader, ReadsTheDesignExample) {
  auto h = read(kDesignExample);
  ASSERT_TRUE(h.ok()) << h.error().message;
  EXPECT_EQ(h->nodes.size(), 5u);
  ASSERT_EQ(h->events.size(), 11u);
  // Sorted by time: the fault end at 15s moves to the end; equal times keep file order.
  EXPECT_EQ(h->events.back().line, 6u);
  EXPECT_EQ(h->end_time(), 15'000'000'000);
  const auto& f1 = std::get<FaultEvent>(h->events[3].body);
  EXPECT_EQ(f1.id, "f1");
  EXPECT_EQ(f1.kind(), "partition");
  EXPECT_EQ(f1.grudge.at("n4"), (std::vector<std::string>{"n1", "n2", "n3"}));
  EXPECT_EQ(std::get<FaultEvent>(h->events[4].body).id, "f2");
  const auto& result = std::get<BreakerEvent>(h->events[7].body);
  EXPECT_EQ(result.event, BreakerEvent::Kind::kResult);
  EXPECT_FALSE(result.success);
  EXPECT_EQ(std::get<BreakerEvent>(h->events[8].body).to, BreakerState::kOpen);
  const auto& retry = std::get<RetryEvent>(h->events[9].body);
  EXPECT_EQ(retry.op, 17);
  EXPECT_EQ(retry.delay, 40'000'000);
  for (std::size_t i = 0; i < h->events.size(); ++i) EXPECT_EQ(h->events[i].index, i);
}

TEST(JsonlReader, EqualTimesKeepFileOrder) {
  auto h = read(
      "{\"time\":5,\"type\":\"log\",\"message\":\"a\"}\n"
      "{\"time\":1,\"type\":\"log\",\"message\":\"b\"}\n"
      "{\"time\":5,\"type\":\"log\",\"message\":\"c\"}\n"
      "{\"time\":5,\"type\":\"log\",\"message\":\"d\"}\n");
  ASSERT_TRUE(h.ok());
  std::string order;
  for (const auto& e : h->events) order += std::get<LogEvent>(e.body).message;
  EXPECT_EQ(order, "bacd");
}

// A late invoke the recorder wrote after a completion (file times never go
// backwards) is put back at its actual time: otherwise the op would look
// shorter than it was and a linearizable history could look illegal.
TEST(JsonlReader, LateEventTakesItsTimeEstimate) {
  auto h = read(
      "{\"time\":10,\"type\":\"invoke\",\"process\":1,\"f\":\"write\",\"value\":1}\n"
      "{\"time\":30,\"type\":\"ok\",\"process\":1,\"f\":\"write\",\"value\":1}\n"
      "{\"time\":30,\"type\":\"invoke\",\"process\":2,\"f\":\"read\",\"value\":null,\"time_estimate\":20}\n"
      "{\"time\":40,\"type\":\"ok\",\"process\":2,\"f\":\"read\",\"value\":0}\n"
      "{\"time\":40,\"type\":\"log\",\"message\":\"ignored estimate\",\"time_estimate\":50}\n");
  ASSERT_TRUE(h.ok()) << h.error().message;
  ASSERT_EQ(h->events.size(), 5u);
  EXPECT_EQ(h->events[1].time, 20);  // the read's invoke, before the write's ok
  EXPECT_EQ(h->events[1].line, 3u);
  EXPECT_EQ(h->events[2].line, 2u);
  EXPECT_EQ(h->events[4].time, 40);  // an estimate above `time` is not an earlier actual time
  auto bad = read("{\"time\":5,\"type\":\"log\",\"message\":\"x\",\"time_estimate\":\"soon\"}\n");
  EXPECT_FALSE(bad.ok());
}

TEST(JsonlReader, UnknownTypesAreKeptAndBlankLinesSkipped) {
  auto h = read("{\"time\":0,\"type\":\"cluster\",\"nodes\":[]}\n\n{\"time\":3,\"type\":\"gc-pause\",\"ms\":12}\r\n");
  ASSERT_TRUE(h.ok()) << h.error().message;
  ASSERT_EQ(h->events.size(), 2u);
  EXPECT_EQ(std::get<UnknownEvent>(h->events[1].body).type, "gc-pause");
  EXPECT_EQ(h->events[1].line, 3u);
  EXPECT_EQ(h->events[1].extra, nlohmann::json({{"ms", 12}}));  // the fields beyond time and type
}

// An event keeps only what its typed body does not hold; its JSON is the body
// written back plus those fields, so nothing the file said is lost.
TEST(JsonlReader, KeepsOnlyTheFieldsTheTypedBodyDoesNotHold) {
  auto design = read(kDesignExample);
  ASSERT_TRUE(design.ok());
  for (const auto& e : design->events) EXPECT_TRUE(e.extra.is_null()) << e.line << ": " << e.extra.dump();

  auto h = read(
      "{\"time\":1,\"type\":\"info\",\"process\":1,\"f\":\"read\",\"value\":null,\"error\":\"timeout\",\"node\":\"\"}\n"
      "{\"time\":2,\"type\":\"breaker\",\"node\":\"n1\",\"name\":\"b\",\"event\":\"call\",\"call\":1,\"permitted\":true,\"outcome\":\"success\"}\n"
      "{\"time\":3,\"type\":\"fault\",\"phase\":\"end\",\"id\":\"f\",\"targets\":[],\"note\":{\"by\":\"hand\"}}\n"
      "{\"time\":4,\"type\":\"log\",\"message\":\"late\",\"time_estimate\":3}\n");
  ASSERT_TRUE(h.ok()) << h.error().message;
  ASSERT_EQ(h->events.size(), 4u);
  EXPECT_EQ(h->events[0].extra, nlohmann::json::parse(R"({"error":"timeout","node":""})"));
  EXPECT_EQ(h->events[1].extra, nlohmann::json::parse(R"({"outcome":"success"})"));
  EXPECT_EQ(h->events[2].extra, nlohmann::json::parse(R"({"note":{"by":"hand"},"targets":[]})"));
  EXPECT_EQ(h->events[3].extra, nlohmann::json::parse(R"({"time_estimate":3})"));
  EXPECT_EQ(to_jsonl_line(h->events[0]),
            "{\"time\":1,\"type\":\"info\",\"process\":1,\"f\":\"read\",\"value\":null,\"error\":\"timeout\",\"node\":\"\"}\n");
  // The fields to_json writes are the body's (writes_field) and the extra ones, for every kind of event.
  for (const auto* events : {&design->events, &h->events}) {
    for (const auto& e : *events) {
      std::set<std::string> written, expected;
      const auto line = to_json(e);
      for (const auto& [key, value] : line.items()) {
        written.insert(key);
        if (writes_field(e.body, key) || e.extra.contains(key)) expected.insert(key);
      }
      EXPECT_EQ(written, expected) << line.dump();
      if (e.extra.is_object()) {
        for (const auto& [key, value] : e.extra.items()) EXPECT_FALSE(writes_field(e.body, key)) << key;
      }
    }
  }
}

// Many events out of order: sorted by time, equal times in file order, and
// every event still knows its line.
TEST(JsonlReader, SortsOutOfOrderEventsStably) {
  std::string text;
  const int n = 3000;
  for (int i = 0; i < n; ++i) text += fmt::format("{{\"time\":{},\"type\":\"log\",\"message\":\"{}\"}}\n", (i * 7919) % 101, i);
  auto h = read(text);
  ASSERT_TRUE(h.ok()) << h.error().message;
  ASSERT_EQ(h->events.size(), static_cast<std::size_t>(n));
  for (std::size_t i = 0; i < h->events.size(); ++i) {
    const auto& e = h->events[i];
    EXPECT_EQ(e.index, i);
    const int at = std::stoi(std::get<LogEvent>(e.body).message);
    EXPECT_EQ(e.line, static_cast<std::size_t>(at + 1));
    EXPECT_EQ(e.time, (at * 7919) % 101);
    if (i > 0) {
      const auto& before = h->events[i - 1];
      ASSERT_TRUE(before.time < e.time || (before.time == e.time && before.line < e.line)) << i;
    }
  }
}

// read_history_file streams a JSONL file: format by content when there is no
// extension, blank lines counted, a last line without a newline read.
TEST(HistoryFile, ReadsJsonlByContentWithoutTrailingNewline) {
  const std::string path = "/tmp/faultline-history-test-" + std::to_string(getpid());
  {
    std::ofstream out(path);
    out << "\n  \n{\"time\":5,\"type\":\"log\",\"message\":\"a\"}\n\n{\"time\":1,\"type\":\"gc\",\"ms\":3}";
  }
  auto h = read_history_file(path);
  std::remove(path.c_str());
  ASSERT_TRUE(h.ok()) << h.error().message;
  ASSERT_EQ(h->events.size(), 2u);
  EXPECT_EQ(h->events[0].line, 5u);
  EXPECT_EQ(h->events[1].line, 3u);
  EXPECT_EQ(to_jsonl_line(h->events[0]), "{\"time\":1,\"type\":\"gc\",\"ms\":3}\n");
  EXPECT_EQ(h->source, path);
  auto missing = read_history_file(path);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, ErrorCode::kIo);
}

// Findings show the event as the file has it: the typed body and the fields it does not hold.
TEST(Findings, EventJsonShowsTheEventAsRead) {
  auto h = read("{\"time\":0,\"type\":\"log\"}\n{\"time\":7,\"type\":\"detector\",\"node\":\"n1\",\"subject\":\"n2\",\"status\":\"dead\",\"incarnation\":2,\"why\":\"ping\"}\n");
  ASSERT_TRUE(h.ok()) << h.error().message;
  EXPECT_EQ(checkers::event_json(h->events[1]),
            nlohmann::json::parse(R"({"time":7,"line":2,"event":{"time":7,"type":"detector","node":"n1","subject":"n2",
                                     "status":"dead","incarnation":2,"why":"ping"}})"));
  Event built;  // in memory: no line, the body alone
  built.time = 3;
  built.body = LogEvent{"hi"};
  EXPECT_EQ(checkers::event_json(built), nlohmann::json::parse(R"({"time":3,"event":{"time":3,"type":"log","message":"hi"}})"));
}

TEST(JsonlReader, RejectsMalformedLinesWithFileLineAndReason) {
  expect_error("{\"time\":0,\"type\":\"log\"}\n{\"time\":1,\"type\":", "h.jsonl:2: not valid JSON");
  expect_error("[1,2]\n", "h.jsonl:1: an event must be a JSON object");
  expect_error("{\"type\":\"log\"}\n", "h.jsonl:1: missing field \"time\"");
  expect_error("{\"time\":1}\n", "missing field \"type\"");
  expect_error("{\"time\":\"5\",\"type\":\"log\"}\n", "field \"time\" must be an integer");
  expect_error("{\"time\":1.5,\"type\":\"log\"}\n", "field \"time\" must be an integer");
  expect_error("{\"time\":-1,\"type\":\"log\"}\n", "field \"time\" must be >= 0");
  expect_error("{\"time\":1,\"type\":7}\n", "field \"type\" must be a string");
  expect_error("{\"time\":1,\"type\":\"detector\",\"node\":\"n1\",\"subject\":\"n2\",\"status\":\"healthy\"}\n",
               "field \"status\" must be alive, suspect or dead");
  expect_error("{\"time\":1,\"type\":\"breaker\",\"node\":\"n1\",\"name\":\"b\",\"event\":\"call\",\"call\":1}\n",
               "missing field \"permitted\"");
  expect_error("{\"time\":1,\"type\":\"breaker\",\"node\":\"n1\",\"name\":\"b\",\"event\":\"result\",\"call\":1,\"outcome\":\"ok\"}\n",
               "field \"outcome\" must be success or failure");
  expect_error("{\"time\":1,\"type\":\"retry\",\"node\":\"n1\",\"op\":1,\"attempt\":\"2\"}\n",
               "field \"attempt\" must be an integer");
  expect_error("{\"time\":1,\"type\":\"fault\",\"phase\":\"start\",\"id\":\"f\",\"fault\":{\"kind\":\"kill\"},\"targets\":\"n1\"}\n",
               "field \"targets\" must be an array of strings");
  expect_error("{\"time\":1,\"type\":\"fault\",\"phase\":\"start\",\"id\":\"f\"}\n", "missing field \"fault\"");
  expect_error("{\"time\":1,\"type\":\"invoke\",\"f\":\"read\"}\n", "missing field \"process\"");
  expect_error("{\"time\":0,\"type\":\"log\"}\n\n\n{\"time\":1,\"type\":\"cluster\",\"nodes\":[1]}\n", "h.jsonl:4:");
}

TEST(JsonlWriter, RoundTripsEveryEventType) {
  auto h = read(kDesignExample);
  ASSERT_TRUE(h.ok());
  std::ostringstream out;
  write_jsonl_history(out, *h);
  std::istringstream in(out.str());
  auto again = read_jsonl_history(in, "again");
  ASSERT_TRUE(again.ok()) << again.error().message;
  ASSERT_EQ(again->events.size(), h->events.size());
  for (std::size_t i = 0; i < h->events.size(); ++i) {
    EXPECT_EQ(again->events[i].time, h->events[i].time);
    EXPECT_EQ(again->events[i].extra, h->events[i].extra) << out.str();
    EXPECT_EQ(to_json(again->events[i]), to_json(h->events[i])) << out.str();
  }
  // time and type lead every line
  EXPECT_EQ(out.str().rfind("{\"time\":0,\"type\":\"cluster\"", 0), 0u);
}

TEST(JsonlWriter, BuildsLinesFromTypedEvents) {
  Event e;
  e.time = 42;
  e.body = RetryEvent{"n1", 17, 1, 40'000'000, "failure"};
  EXPECT_EQ(to_jsonl_line(e),
            "{\"time\":42,\"type\":\"retry\",\"node\":\"n1\",\"op\":17,\"attempt\":1,\"delay\":40000000,\"outcome\":\"failure\"}\n");
  nlohmann::json raw{{"type", "log"}, {"message", "hi"}, {"time", 3}};
  EXPECT_EQ(to_jsonl_line(raw), "{\"time\":3,\"type\":\"log\",\"message\":\"hi\"}\n");
}

}  // namespace
}  // namespace faultline::history
