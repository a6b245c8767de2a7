// Histories recorded from the real libraries (tools/recorders, fixtures and
// manifest in recorded/): each is valid under its own library's profile and
// invalid under another library's profile with the same settings.
#include <fstream>
#include <set>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "checkers/checker.h"
#include "checkers/history/reader.h"

namespace faultline::checkers {
namespace {

const std::string kDir = FAULTLINE_RECORDED_DIR;

nlohmann::json manifest() {
  std::ifstream in(kDir + "/manifest.json");
  return nlohmann::json::parse(in);
}

CheckResult judge(const history::History& h, const std::string& checker, const nlohmann::json& config) {
  auto c = make_checker(checker);
  CheckOptions options;
  options.config = config;
  auto r = c->check(h, options);
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
  return r.ok() ? std::move(r).value() : CheckResult{};
}

TEST(RecordedFixtures, EachIsValidUnderItsProfileAndInvalidUnderADifferingOne) {
  const auto m = manifest();
  std::size_t judged = 0;
  std::set<std::string> libraries;
  for (const auto& fx : m["fixtures"]) {
    const std::string library = fx["library"], checker = fx["checker"];
    libraries.insert(library);
    ASSERT_GE(fx["seeds"].size(), 3u) << library << ": fixtures from several seeds";
    for (const auto& seed : fx["seeds"]) {
      const std::string name = library + "-seed" + std::to_string(seed.get<int>()) + ".jsonl";
      auto h = history::read_history_file(kDir + "/" + name);
      ASSERT_TRUE(h.ok()) << (h.ok() ? "" : h.error().message);
      auto own = judge(*h, checker, fx["config"]);
      EXPECT_EQ(own.valid, Validity::kValid) << name << " under " << fx["config"].dump() << ":\n" << own.text;
      EXPECT_GT(own.findings.value(checker == "breaker" ? "transitions" : "ops", 0), 10) << name << ": too little happened";
      for (const auto& other : fx["differs"]) {
        auto r = judge(*h, checker, other);
        EXPECT_EQ(r.valid, Validity::kInvalid) << name << " under " << other.dump() << " (should differ):\n" << r.text;
        ++judged;
      }
    }
  }
  EXPECT_EQ(libraries, (std::set<std::string>{"gobreaker", "failsafe-go", "python-circuitbreaker", "cenkalti-backoff",
                                              "tenacity", "tenacity-random", "python-backoff"}));
  EXPECT_GE(judged, 21u);
}

}  // namespace
}  // namespace faultline::checkers
