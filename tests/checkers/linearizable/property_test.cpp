// Property tests: histories generated from a sequential execution of each
// model, with random concurrency windows and info completions, are
// linearizable; with one result corrupted they are not, and the checker names
// exactly that operation. Plus the limits: deadline -> unknown, memory bound
// -> unknown with its documented reason.
#include <gtest/gtest.h>

#include "checkers/linearizable/history_generator.h"
#include "checkers/linearizable/linearizable_checker.h"
#include "common/units.h"

namespace faultline::checkers {
namespace {

using linearizable::GeneratedHistory;
using linearizable::GeneratorOptions;

struct ModelCase {
  const char* model;
  std::size_t ops;
  std::size_t clients;
  double info_rate;
  std::size_t keys;
  nlohmann::json initial;
};

const ModelCase kCases[] = {
    {"register", 250, 5, 0.05, 1, 0},   {"cas-register", 400, 6, 0.05, 1, 0}, {"kv", 600, 8, 0.05, 5, ""},
    {"set", 150, 4, 0.05, 1, nlohmann::json::array()}, {"mutex", 300, 4, 0.0, 1, false},
};

GeneratedHistory generate(const ModelCase& c, std::uint64_t seed) {
  GeneratorOptions o;
  o.model = c.model;
  o.ops = c.ops;
  o.clients = c.clients;
  o.info_rate = c.info_rate;
  o.keys = c.keys;
  o.seed = seed;
  auto g = linearizable::generate_history(o);
  EXPECT_TRUE(g.ok());
  return std::move(g).value();
}

CheckResult check(const history::History& h, const ModelCase& c, Nanos deadline = 0, nlohmann::json config = {}) {
  CheckOptions options;
  options.model = c.model;
  options.initial = c.initial;
  options.deadline = deadline;
  if (!config.is_null()) options.config = config;
  auto r = make_linearizable_checker()->check(h, options);
  EXPECT_TRUE(r.ok()) << r.error().message;
  return r.ok() ? *r : CheckResult{};
}

class LinearizableProperty : public ::testing::TestWithParam<ModelCase> {};

TEST_P(LinearizableProperty, SequentialExecutionsAreLinearizable) {
  for (std::uint64_t seed = 1; seed <= 6; ++seed) {
    auto g = generate(GetParam(), seed);
    auto r = check(g.history, GetParam());
    EXPECT_EQ(r.valid, Validity::kValid) << "seed " << seed << ": " << r.text;
  }
}

TEST_P(LinearizableProperty, OneCorruptedResultIsNamed) {
  int corrupted = 0;
  for (std::uint64_t seed = 1; seed <= 6; ++seed) {
    auto g = generate(GetParam(), seed);
    auto pick = linearizable::corrupt_one_result(g, GetParam().model, seed);
    if (!pick) continue;
    ++corrupted;
    auto r = check(g.history, GetParam());
    ASSERT_EQ(r.valid, Validity::kInvalid) << "seed " << seed << ": " << r.text;
    EXPECT_EQ(r.findings["op"]["complete"]["index"], g.ops[*pick].complete) << "seed " << seed << ": " << r.text;
    EXPECT_EQ(r.findings["op"]["invoke"]["index"], g.ops[*pick].invoke);
  }
  EXPECT_GE(corrupted, 3) << "the generator rarely produced a corruptible op";
}

INSTANTIATE_TEST_SUITE_P(Models, LinearizableProperty, ::testing::ValuesIn(kCases),
                         [](const auto& info) {
                           std::string name = info.param.model;
                           std::erase(name, '-');
                           return name;
                         });

TEST(LinearizableLimits, PastTheDeadlineTheVerdictIsUnknown) {
  ModelCase c{"cas-register", 5000, 10, 0.05, 1, 0};
  auto g = generate(c, 7);
  auto r = check(g.history, c, monotonic_now() - 1);
  EXPECT_EQ(r.valid, Validity::kUnknown) << r.text;
  EXPECT_EQ(r.findings["valid"], "unknown");
  EXPECT_NE(r.findings["reason"].get<std::string>().find("deadline"), std::string::npos) << r.findings.dump();
}

TEST(LinearizableLimits, TheMemoryBoundGivesUnknownWithItsReason) {
  ModelCase c{"cas-register", 5000, 10, 0.05, 1, 0};
  auto g = generate(c, 8);
  auto r = check(g.history, c, 0, {{"max_cache", "4KiB"}});
  EXPECT_EQ(r.valid, Validity::kUnknown) << r.text;
  std::string reason = r.findings["reason"].get<std::string>();
  EXPECT_NE(reason.find("memory bound hit"), std::string::npos) << reason;
  EXPECT_NE(reason.find("max_cache = 4KiB"), std::string::npos) << reason;
  // The same history with the default bound is linearizable: the bound, not the history, made it unknown.
  EXPECT_EQ(check(g.history, c).valid, Validity::kValid);
}

TEST(LinearizableLimits, OneInvalidKeyOfManyEndsTheSearch) {
  ModelCase c{"kv", 20000, 20, 0.0, 200, ""};
  auto g = generate(c, 9);
  ASSERT_TRUE(linearizable::corrupt_one_result(g, "kv", 9));
  auto r = check(g.history, c, 0, {{"threads", 2}});
  EXPECT_EQ(r.valid, Validity::kInvalid);
  EXPECT_LT(r.findings["partitions_linearizable"].get<int>(), 200);
}

}  // namespace
}  // namespace faultline::checkers
