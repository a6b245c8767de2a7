// Verdicts on every published history in tests/data/published equal the
// published ones (Knossos cas-register good/bad, Porcupine kv ok/bad).
#include <filesystem>

#include <gtest/gtest.h>

#include "checkers/history/reader.h"
#include "checkers/linearizable/linearizable_checker.h"

namespace faultline::checkers {
namespace {

namespace fs = std::filesystem;

struct Case {
  std::string path;
  std::string model;
  nlohmann::json initial;
  Validity expected;
};

std::vector<Case> published_cases() {
  std::vector<Case> cases;
  const fs::path root = FAULTLINE_TESTDATA;
  for (const auto& [dir, verdict] : {std::pair{"knossos/cas-register/good", Validity::kValid},
                                     std::pair{"knossos/cas-register/bad", Validity::kInvalid}}) {
    for (const auto& entry : fs::directory_iterator(root / dir)) {
      if (entry.path().extension() != ".edn") continue;
      bool nil_initial = entry.path().filename() == "rethink-fail-minimal.edn";
      cases.push_back({entry.path().string(), "cas-register", nil_initial ? nlohmann::json() : nlohmann::json(0), verdict});
    }
  }
  for (const auto& entry : fs::directory_iterator(root / "porcupine-kv")) {
    std::string name = entry.path().filename().string();
    if (entry.path().extension() != ".txt") continue;
    bool ok = name.find("-ok") != std::string::npos;
    bool bad = name.find("-bad") != std::string::npos;
    if (!ok && !bad) continue;
    cases.push_back({entry.path().string(), "kv", nlohmann::json(""), ok ? Validity::kValid : Validity::kInvalid});
  }
  std::sort(cases.begin(), cases.end(), [](const Case& a, const Case& b) { return a.path < b.path; });
  return cases;
}

TEST(LinearizableTestdata, EveryPublishedVerdict) {
  auto cases = published_cases();
  // 11 good + 4 bad Knossos histories, 2 ok + 2 bad Porcupine kv histories.
  ASSERT_EQ(cases.size(), 19u) << "testdata folder changed: update this test";
  for (const auto& c : cases) {
    SCOPED_TRACE(c.path);
    auto history = history::read_history_file(c.path);
    ASSERT_TRUE(history.ok()) << history.error().message;
    auto checker = make_linearizable_checker();
    ASSERT_TRUE(checker->applies(*history));
    CheckOptions options;
    options.model = c.model;
    options.initial = c.initial;
    auto result = checker->check(*history, options);
    ASSERT_TRUE(result.ok()) << result.error().message;
    EXPECT_EQ(result->valid, c.expected) << result->text;
    if (c.expected == Validity::kInvalid) {
      EXPECT_TRUE(result->findings.contains("op")) << result->findings.dump();
      EXPECT_TRUE(result->findings.contains("linearized_prefix"));
      EXPECT_FALSE(result->findings["reachable_states"].empty());
    }
  }
}

Result<CheckResult> check_file(const std::string& rel, nlohmann::json initial, const std::string& model = "cas-register") {
  auto history = history::read_history_file(std::string(FAULTLINE_TESTDATA) + "/" + rel);
  if (!history) return history.error();
  CheckOptions options;
  options.model = model;
  options.initial = std::move(initial);
  return make_linearizable_checker()->check(*history, options);
}

// Knossos's comment in the file: the read of 3 is the violation (not the later
// read of 4); the register could have been 0 or 4.
TEST(LinearizableTestdata, RethinkMinimalNamesTheReadOf3) {
  auto r = check_file("knossos/cas-register/bad/rethink-fail-minimal.edn", nullptr);
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_EQ(r->valid, Validity::kInvalid);
  const auto& f = r->findings;
  EXPECT_EQ(f["op"]["process"], 1);
  EXPECT_EQ(f["op"]["f"], "read");
  EXPECT_EQ(f["op"]["output"], 3);
  EXPECT_EQ(f["op"]["complete"]["line"], 7);
  EXPECT_EQ(f["linearized_prefix"]["length"], 1);
  EXPECT_EQ(f["linearized_prefix"]["ops"][0]["f"], "write");
  auto states = f["reachable_states"].get<std::vector<nlohmann::json>>();
  std::sort(states.begin(), states.end());
  EXPECT_EQ(states, (std::vector<nlohmann::json>{0, 4}));
  EXPECT_NE(r->text.find("cannot linearize: process 1 read -> ok 3"), std::string::npos) << r->text;
  EXPECT_NE(r->text.find("states reachable just before it: "), std::string::npos) << r->text;
}

TEST(LinearizableTestdata, ImmediateFailureNamesTheRead) {
  auto r = check_file("knossos/cas-register/bad/immediate-failure.edn", 0);
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->valid, Validity::kInvalid);
  EXPECT_EQ(r->findings["op"]["process"], 1);
  EXPECT_EQ(r->findings["op"]["output"], 3);
  EXPECT_EQ(r->findings["reachable_states"], nlohmann::json::array({0}));  // the failed write did not happen
}

TEST(LinearizableTestdata, KvViolationNamesItsKey) {
  auto r = check_file("porcupine-kv/c10-bad.txt", "", "kv");
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->valid, Validity::kInvalid);
  EXPECT_TRUE(r->findings.contains("key"));
  EXPECT_EQ(r->findings["op"]["key"], r->findings["key"]);
  EXPECT_GT(r->findings["partitions"].get<int>(), 1);
}

}  // namespace
}  // namespace faultline::checkers
