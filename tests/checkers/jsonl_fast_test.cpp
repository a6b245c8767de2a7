// The JSONL reader's simdjson fast path gives exactly what the general
// (nlohmann-json) path gives, on the writer's shapes and on every near miss
// that must fall back (extra or repeated fields, wrong types and values,
// escapes, CRLF, a last line without newline, lines longer than a chunk).
#include <sstream>

#include <gtest/gtest.h>

#include "checkers/history/jsonl_reader.h"
#include "checkers/history/jsonl_writer.h"

namespace faultline::history {
namespace {

std::string both(const std::string& text) {
  std::istringstream a(text), b(text);
  auto fast = read_jsonl_history(a, "h.jsonl", JsonlParse::kFast);
  auto general = read_jsonl_history(b, "h.jsonl", JsonlParse::kGeneral);
  EXPECT_EQ(fast.ok(), general.ok()) << text;
  if (!fast.ok() || !general.ok()) {
    if (!fast.ok() && !general.ok()) {
      EXPECT_EQ(fast.error().message, general.error().message);
    }
    return fast.ok() ? "" : fast.error().message;
  }
  EXPECT_EQ(fast->events.size(), general->events.size());
  std::string out;
  for (std::size_t i = 0; i < fast->events.size() && i < general->events.size(); ++i) {
    const auto f = to_json(fast->events[i]).dump(), g = to_json(general->events[i]).dump();
    EXPECT_EQ(f, g) << text;
    EXPECT_EQ(fast->events[i].line, general->events[i].line);
    EXPECT_EQ(fast->events[i].index, general->events[i].index);
    EXPECT_EQ(fast->events[i].extra, general->events[i].extra) << f;
    out += f + "\n";
  }
  EXPECT_EQ(fast->nodes, general->nodes);
  return out;
}

TEST(JsonlFast, WriterShapesAndNearMissesReadAlike) {
  const char* lines[] = {
      R"({"time":0,"type":"cluster","nodes":["n1","n2"]})",
      R"({"time":5,"type":"detector","node":"n1","subject":"n2","status":"suspect","incarnation":3})",
      R"({"time":5,"type":"detector","node":"n1","subject":"n2","status":"dead"})",
      R"({"type":"detector","time":6,"subject":"n\u0032","node":"n\"1","status":"alive","incarnation":0})",
      R"({"time":7,"type":"breaker","node":"n1","name":"peer-n2","event":"call","call":81,"permitted":true})",
      R"({"time":8,"type":"breaker","node":"n1","name":"peer-n2","event":"result","call":81,"outcome":"failure"})",
      R"({"time":8,"type":"breaker","node":"n1","name":"peer-n2","event":"result","call":82,"outcome":"success"})",
      R"({"time":9,"type":"breaker","node":"n1","name":"peer-n2","event":"transition","from":"closed","to":"half_open"})",
      R"({"time":10,"type":"retry","node":"n1","op":17,"attempt":1,"delay":40000000,"outcome":"failure"})",
      R"({"time":10,"type":"retry","node":"n1","op":17,"attempt":0})",
      // near misses: the general path decides (extra fields, repeats, types, values)
      R"({"time":11,"type":"retry","node":"n1","op":17,"attempt":2,"outcome":""})",
      R"({"time":11,"type":"retry","node":"n1","op":17,"attempt":2,"trace":"abc"})",
      R"({"time":11,"type":"retry","node":"n1","op":17,"attempt":2,"time_estimate":3})",
      R"({"time":12,"type":"breaker","node":"n1","name":"b","event":"call","call":1,"permitted":true,"outcome":"success"})",
      R"({"time":12,"type":"detector","node":"n1","subject":"n2","status":"alive","node":"n3"})",
      R"({"time":12,"type":"detector","node":"n1","subject":"n2","status":"alive","incarnation":18446744073709551615})",
      R"({"time":13,"type":"log","message":"hello"})",
      R"({"time":13,"type":"invoke","process":1,"f":"read","value":null})",
      R"({"time":14,"type":"fault","phase":"start","id":"f1","fault":{"kind":"kill"},"targets":["n2"]})",
      R"({"time":15,"type":"whatever","x":1})",
  };
  std::string text;
  for (const char* l : lines) text += std::string(l) + "\n";
  both(text);
  both(text + "\r\n  \n" + R"({"time":16,"type":"detector","node":"n1","subject":"n2","status":"dead"})");  // CRLF, blank, no final newline
  // Lines longer than a chunk (1 MiB) are read whole.
  both(R"({"time":1,"type":"log","message":")" + std::string(3 << 20, 'x') + "\"}\n" + lines[1] + "\n");
}

TEST(JsonlFast, ErrorsAreTheGeneralPathsOnes) {
  for (const char* bad : {
           R"({"time":-1,"type":"detector","node":"n1","subject":"n2","status":"dead"})",
           R"({"time":1,"type":"detector","node":"n1","subject":"n2","status":"zombie"})",
           R"({"time":1,"type":"breaker","node":"n1","name":"b","event":"call","call":1})",
           R"({"time":1,"type":"breaker","node":"n1","name":"b","event":"result","call":1,"outcome":"maybe"})",
           R"({"time":1,"type":"retry","node":"n1","op":1,"attempt":-1})",
           R"({"time":1.5,"type":"retry","node":"n1","op":1,"attempt":0})",
           R"({"time":1,"type":"retry","node":"n1","op":1,"attempt":0} trailing)",
           R"({"time":1,"type":"retry","node":"n1","op":1,"attempt":0)",
       }) {
    SCOPED_TRACE(bad);
    EXPECT_NE(both(std::string("{\"time\":0,\"type\":\"log\",\"message\":\"\"}\n") + bad + "\n").find("h.jsonl:2:"), std::string::npos);
  }
}

}  // namespace
}  // namespace faultline::history
