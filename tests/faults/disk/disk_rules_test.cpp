// The disk fault rules: field checking (the schema refuses unknown fields by name),
// the round trip through a HealRecord, op/path selection and the rates.
#include <gtest/gtest.h>

#include <cerrno>

#include "faults/disk/disk_rules.h"

namespace faultline::faults::disk {
namespace {

FaultSpec spec(const nlohmann::json& j) {
  auto parsed = FaultSpec::parse(j);
  EXPECT_TRUE(parsed) << j.dump();
  return *parsed;
}

TEST(DiskRules, SlowRuleFieldsAndRoundTrip) {
  auto rule = parse_slow_rule(spec({{"kind", "disk-slow"}, {"delay", "20ms"}, {"jitter", "5ms"},
                                    {"ops", {"read", "fsync"}}, {"path", "/*.log"}, {"percent", 50}}));
  ASSERT_TRUE(rule) << rule.error().message;
  EXPECT_EQ(rule->delay, 20'000'000);
  EXPECT_EQ(rule->jitter, 5'000'000);
  EXPECT_EQ(rule->percent, 50);
  EXPECT_EQ(rule->where.path, "*.log");
  EXPECT_EQ(rule->where.ops, op_bit(DiskOp::kRead) | op_bit(DiskOp::kFsync));
  auto back = slow_rule_from_json(to_json(*rule));
  ASSERT_TRUE(back);
  EXPECT_EQ(back->delay, rule->delay);
  EXPECT_EQ(back->jitter, rule->jitter);
  EXPECT_EQ(back->where.ops, rule->where.ops);
  EXPECT_EQ(back->where.path, rule->where.path);
  EXPECT_EQ(back->id, rule->id);
}

TEST(DiskRules, BadFieldsAreRefusedByName) {
  // The fault schema (faults/spec/disk.cpp) refuses them before any rule is
  // parsed: what the agent, the CLI and the suite all use.
  auto refused = [](const nlohmann::json& j, const std::string& text) {
    auto parsed = FaultSpec::parse(j);
    ASSERT_FALSE(parsed) << j.dump();
    EXPECT_NE(parsed.error().message.find(text), std::string::npos) << parsed.error().message;
  };
  refused({{"kind", "disk-slow"}}, "\"delay\" is required");
  refused({{"kind", "disk-slow"}, {"delay", "1ms"}, {"dealy", "2ms"}}, "unknown field \"dealy\"");
  refused({{"kind", "disk-error"}, {"ops", {"read", "scribble"}}}, "scribble");
  refused({{"kind", "disk-error"}, {"errno", "EWHAT"}}, "EWHAT");
  refused({{"kind", "disk-error"}, {"percent", 150}}, "150");
  refused({{"kind", "lose-unsynced"}, {"crash", "sometimes"}}, "sometimes");
  refused({{"kind", "lose-unsynced"}, {"delay", "1ms"}}, "unknown field \"delay\"");
}

TEST(DiskRules, ErrnoByNameOrNumber) {
  EXPECT_EQ(*parse_errno("EIO"), EIO);
  EXPECT_EQ(*parse_errno("ENOSPC"), ENOSPC);
  EXPECT_EQ(*parse_errno("EROFS"), EROFS);
  EXPECT_EQ(*parse_errno(28), 28);
  EXPECT_FALSE(parse_errno(0));
  EXPECT_EQ(errno_name(ENOSPC), "ENOSPC");
  auto rule = parse_error_rule(spec({{"kind", "disk-error"}}));
  ASSERT_TRUE(rule);
  EXPECT_EQ(rule->errnum, EIO);
  EXPECT_EQ(rule->percent, 100);
  EXPECT_EQ(rule->where.ops, 0u);
}

TEST(DiskRules, SelectorMatchesOpsAndGlobs) {
  Selector any;
  EXPECT_TRUE(any.matches(DiskOp::kLookup, "a/b"));
  Selector logs{op_bit(DiskOp::kWrite), "*.log"};
  EXPECT_TRUE(logs.matches(DiskOp::kWrite, "demo/store.log"));  // no '/': the name
  EXPECT_FALSE(logs.matches(DiskOp::kRead, "demo/store.log"));
  EXPECT_FALSE(logs.matches(DiskOp::kWrite, "demo/store.db"));
  Selector dir{0, "demo/*"};
  EXPECT_TRUE(dir.matches(DiskOp::kRead, "demo/store.log"));
  EXPECT_TRUE(dir.matches(DiskOp::kRead, "demo/sub/x"));  // '*' crosses '/'
  EXPECT_FALSE(dir.matches(DiskOp::kRead, "other/store.log"));
}

TEST(DiskRules, DecideAddsDelaysAndFiresErrorsAtTheRate) {
  RuleSet set;
  auto slow = parse_slow_rule(spec({{"kind", "disk-slow"}, {"delay", "10ms"}, {"jitter", "2ms"}, {"ops", {"read"}}}));
  auto error = parse_error_rule(spec({{"kind", "disk-error"}, {"errno", "EROFS"}, {"ops", {"write"}}, {"percent", 25}}));
  set.slow.push_back(*slow);
  set.errors.push_back(*error);
  set.recompute();
  EXPECT_EQ(set.faulted_ops, op_bit(DiskOp::kRead) | op_bit(DiskOp::kWrite));
  std::mt19937_64 rng(42);
  for (int i = 0; i < 1000; ++i) {
    auto d = set.decide(DiskOp::kRead, "f", rng);
    EXPECT_GE(d.delay, 8'000'000);
    EXPECT_LE(d.delay, 12'000'000);
    EXPECT_EQ(d.errnum, 0);
  }
  int errors = 0;
  const int n = 20000;
  for (int i = 0; i < n; ++i) {
    auto d = set.decide(DiskOp::kWrite, "f", rng);
    EXPECT_EQ(d.delay, 0);
    if (d.errnum) {
      EXPECT_EQ(d.errnum, EROFS);
      ++errors;
    }
  }
  // 25% of 20000: mean 5000, sd ~61; 5 sd either side.
  EXPECT_NEAR(errors, 5000, 310);
  EXPECT_EQ(set.decide(DiskOp::kFsync, "f", rng).errnum, 0);
}

}  // namespace
}  // namespace faultline::faults::disk
