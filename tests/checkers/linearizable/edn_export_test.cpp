// `faultline export --format edn`: a faultline history written as Jepsen's
// op maps reads back through the EDN reader with the same client ops.
#include <sstream>

#include <gtest/gtest.h>

#include "checkers/history/edn_reader.h"
#include "checkers/history/edn_writer.h"
#include "checkers/history/jsonl_reader.h"

using namespace faultline::history;

namespace {

const char* kRun = R"({"time":0,"type":"cluster","nodes":["n1","n2"]}
{"time":10,"type":"invoke","process":0,"f":"write","value":3,"node":"n1"}
{"time":12,"type":"invoke","process":1,"f":"cas","value":[3,4],"node":"n2"}
{"time":15,"type":"fault","phase":"start","id":"f1","fault":{"kind":"partition","mode":"isolate"},"targets":["n1","n2"],"grudge":{"n1":["n2"],"n2":["n1"]}}
{"time":20,"type":"ok","process":0,"f":"write","value":3,"node":"n1"}
{"time":21,"type":"detector","node":"n1","subject":"n2","status":"suspect"}
{"time":25,"type":"info","process":1,"f":"cas","value":[3,4],"node":"n2","error":"timeout"}
{"time":30,"type":"invoke","process":2,"f":"read","value":null,"key":"k1"}
{"time":31,"type":"fault","phase":"end","id":"f1"}
{"time":40,"type":"ok","process":2,"f":"read","value":"x y","key":"k1"}
)";

faultline::Result<History> read_run() {
  std::istringstream in(kRun);
  return read_jsonl_history(in, "run.jsonl");
}

std::vector<const Event*> client_ops(const History& h) {
  std::vector<const Event*> ops;
  for (const auto& e : h.events)
    if (std::holds_alternative<ClientEvent>(e.body)) ops.push_back(&e);
  return ops;
}

}  // namespace

TEST(EdnExport, ClientOpsRoundTripThroughTheEdnReader) {
  auto original = read_run();
  ASSERT_TRUE(original.ok()) << original.error().message;
  std::ostringstream edn;
  write_edn_history(edn, *original);
  auto back = read_edn_history(edn.str(), "run.edn");
  ASSERT_TRUE(back.ok()) << back.error().message << "\n" << edn.str();
  auto a = client_ops(*original), b = client_ops(*back);
  ASSERT_EQ(a.size(), 6u);
  ASSERT_EQ(a.size(), b.size()) << edn.str();
  for (std::size_t i = 0; i < a.size(); ++i) {
    const auto& x = std::get<ClientEvent>(a[i]->body);
    const auto& y = std::get<ClientEvent>(b[i]->body);
    EXPECT_EQ(a[i]->time, b[i]->time) << i;
    EXPECT_EQ(x.process, y.process) << i;
    EXPECT_EQ(x.type, y.type) << i;
    EXPECT_EQ(x.f, y.f) << i;
    EXPECT_EQ(x.value, y.value) << i;
    EXPECT_EQ(x.key, y.key) << i;
    EXPECT_EQ(x.node, y.node) << i;
  }
}

TEST(EdnExport, JepsenShapedLinesWithIndexAndNemesisOps) {
  auto original = read_run();
  ASSERT_TRUE(original.ok());
  std::ostringstream edn;
  write_edn_history(edn, *original);
  std::istringstream lines(edn.str());
  std::vector<std::string> all;
  for (std::string line; std::getline(lines, line);) all.push_back(line);
  ASSERT_EQ(all.size(), 8u) << edn.str();  // 6 client ops + 2 nemesis ops; cluster and detector left out
  EXPECT_NE(all[0].find(":index 0"), std::string::npos) << all[0];
  EXPECT_NE(all[0].find(":type :invoke"), std::string::npos) << all[0];
  EXPECT_NE(all[0].find(":f :write"), std::string::npos) << all[0];
  EXPECT_NE(all[2].find(":process :nemesis"), std::string::npos) << all[2];
  EXPECT_NE(all[2].find(":f :start-partition"), std::string::npos) << all[2];
  EXPECT_NE(all[4].find(":error \"timeout\""), std::string::npos) << all[4];
  EXPECT_NE(all[6].find(":f :stop-partition"), std::string::npos) << all[6];

  std::ostringstream client_only;
  write_edn_history(client_only, *original, {.client_only = true});
  EXPECT_EQ(client_only.str().find(":nemesis"), std::string::npos);
}
