// Failure signatures from results.json (controller/shrink/failure.h).
#include <gtest/gtest.h>

#include "controller/shrink/failure.h"

using namespace faultline::controller::shrink;
using json = nlohmann::json;

namespace {

json results_with(json checkers) { return {{"valid", false}, {"exit_code", 1}, {"checkers", std::move(checkers)}}; }

TEST(FailureSignature, NamesEachInvalidCheckersKindsOfFinding) {
  auto results = results_with({
      {"breaker", {{"valid", false}, {"divergences", json::array({{{"kind", "decision"}}, {{"kind", "decision"}}, {{"kind", "transition"}}})}}},
      {"detector", {{"valid", false}, {"violations_by_property", {{"recovery", 2}, {"completeness", 0}}}}},
      {"retry", {{"valid", false}, {"violations_by_rule", {{"delay_bounds", 3}}}}},
      {"linearizable", {{"valid", false}, {"op", {{"f", "read"}}}}},
      {"other", {{"valid", false}}},
      {"fine", {{"valid", true}, {"divergences", json::array({{{"kind", "decision"}}})}}},
      {"undecided", {{"valid", "unknown"}}},
  });
  FailureSignature expected{{"breaker", "decision"},   {"breaker", "transition"}, {"detector", "recovery"},
                            {"retry", "delay_bounds"}, {"linearizable", "not-linearizable"}, {"other", "invalid"}};
  EXPECT_EQ(failure_signature(results), expected);
}

TEST(FailureSignature, ValidAndUnknownRunsHaveNone) {
  EXPECT_TRUE(failure_signature(json{{"valid", true}, {"checkers", {{"breaker", {{"valid", true}}}}}}).empty());
  EXPECT_TRUE(failure_signature(json{{"valid", "unknown"}, {"checkers", json::object()}}).empty());
  EXPECT_TRUE(failure_signature(json::array()).empty());
}

TEST(FailureSignature, SameWayNeedsTheSameCheckerAndKind) {
  FailureSignature original{{"breaker", "decision"}};
  EXPECT_TRUE(fails_same_way(original, {{"breaker", "decision"}, {"detector", "accuracy"}}));
  EXPECT_FALSE(fails_same_way(original, {{"breaker", "transition"}}));
  EXPECT_FALSE(fails_same_way(original, {{"retry", "decision"}}));
  EXPECT_FALSE(fails_same_way(original, {}));
}

TEST(FailureSignature, TextAndJsonRoundTrip) {
  FailureSignature s{{"breaker", "decision"}, {"linearizable", "not-linearizable"}};
  EXPECT_EQ(describe(s), "breaker:decision, linearizable:not-linearizable");
  EXPECT_EQ(parse_signature(to_json(s)), s);
  EXPECT_EQ(describe({}), "none");
}

}  // namespace
