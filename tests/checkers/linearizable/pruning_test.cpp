// The search's pruning rules (models' omit_pending, read-only and dead-write
// forcing, dead register values, starved values, dead info ops) never change
// a verdict:
//  - each omit_pending rule, on a history where it applies: the op is left
//    out (findings.info_omitted), the verdict equals the one with
//    `omit_info: false`, and a bad history is still caught;
//  - against a brute-force oracle (every subset of the info ops, every order
//    allowed by real time) on thousands of small random cas-register, kv and
//    set histories with info ops, valid and invalid alike;
//  - generated histories at 20/50 clients with info ops are valid, and one
//    corrupted result is found and named.
#include <cstdlib>
#include <algorithm>
#include <random>

#include <fmt/format.h>

#include <gtest/gtest.h>

#include "checkers/linearizable/history_generator.h"
#include "checkers/linearizable/linearizable_checker.h"

namespace faultline::checkers {
namespace {

using history::ClientEvent;
using history::OpType;
using nlohmann::json;

// Builds a history from (type, process, f, value[, key]) rows in order.
struct Row {
  OpType type;
  std::int64_t process;
  std::string f;
  json value;
  json key = nullptr;
};

history::History make_history(const std::vector<Row>& rows) {
  history::History h;
  for (const auto& r : rows) {
    history::Event e;
    e.index = h.events.size();
    e.line = e.index + 1;
    e.time = static_cast<Nanos>(e.index);
    ClientEvent c;
    c.type = r.type;
    c.process = r.process;
    c.f = r.f;
    c.value = r.value;
    if (!r.key.is_null()) c.key = r.key;
    e.body = std::move(c);
    h.events.push_back(std::move(e));
  }
  return h;
}

CheckResult check(const history::History& h, const std::string& model, json initial, bool omit = true) {
  CheckOptions options;
  options.model = model;
  options.initial = std::move(initial);
  options.config = {{"omit_info", omit}, {"threads", 1}};
  auto r = make_linearizable_checker()->check(h, options);
  EXPECT_TRUE(r.ok()) << r.error().message;
  return r.ok() ? *r : CheckResult{};
}

constexpr auto kInv = OpType::kInvoke;
constexpr auto kOk = OpType::kOk;
constexpr auto kInfo = OpType::kInfo;

TEST(LinearizablePruning, UnobservedInfoWriteIsOmittedVerdictUnchanged) {
  // p1's write 9 crashes; nothing ever reads 9 or expects it.
  auto h = make_history({{kInv, 0, "write", 1},   {kInv, 1, "write", 9},  {kOk, 0, "write", 1},
                         {kInfo, 1, "write", 9},  {kInv, 2, "read", nullptr}, {kOk, 2, "read", 1},
                         {kInv, 3, "cas", json::array({1, 2})}, {kOk, 3, "cas", json::array({1, 2})},
                         {kInv, 2, "read", nullptr}, {kOk, 2, "read", 2}});
  auto with = check(h, "cas-register", 0);
  auto without = check(h, "cas-register", 0, false);
  EXPECT_EQ(with.valid, Validity::kValid) << with.text;
  EXPECT_EQ(without.valid, Validity::kValid) << without.text;
  EXPECT_EQ(with.findings["info_omitted"], 1);
  EXPECT_EQ(without.findings["info_omitted"], 0);
}

TEST(LinearizablePruning, ObservedInfoWriteIsKeptAndExplainsTheRead) {
  // The crashed write 9 is the only source of the later read of 9.
  auto h = make_history({{kInv, 1, "write", 9}, {kInfo, 1, "write", 9}, {kInv, 2, "read", nullptr},
                         {kOk, 2, "read", 9}});
  auto r = check(h, "cas-register", 0);
  EXPECT_EQ(r.valid, Validity::kValid) << r.text;
  EXPECT_EQ(r.findings["info_omitted"], 0);
}

TEST(LinearizablePruning, ReadBeforeTheInfoWriteDoesNotKeepIt) {
  // The read of 9 returned before the crashed write of 9 was invoked: it cannot
  // observe it, so the write is left out, and the read is still a violation.
  auto h = make_history({{kInv, 2, "read", nullptr}, {kOk, 2, "read", 9}, {kInv, 1, "write", 9},
                         {kInfo, 1, "write", 9}});
  auto with = check(h, "cas-register", 0);
  auto without = check(h, "cas-register", 0, false);
  EXPECT_EQ(with.findings["info_omitted"], 1);
  EXPECT_EQ(with.valid, Validity::kInvalid) << with.text;
  EXPECT_EQ(without.valid, Validity::kInvalid) << without.text;
  EXPECT_EQ(with.findings["op"]["f"], "read");
}

TEST(LinearizablePruning, BadHistoryWithOmittableInfoOpsIsStillCaught) {
  // Crashed write 7 and a crashed read are omitted; the read of 5 has no writer.
  auto h = make_history({{kInv, 0, "write", 1},     {kInv, 1, "write", 7},     {kOk, 0, "write", 1},
                         {kInfo, 1, "write", 7},    {kInv, 3, "read", nullptr}, {kInfo, 3, "read", nullptr},
                         {kInv, 2, "read", nullptr}, {kOk, 2, "read", 5}});
  auto with = check(h, "cas-register", 0);
  EXPECT_EQ(with.findings["info_omitted"], 2);
  EXPECT_EQ(with.valid, Validity::kInvalid) << with.text;
  EXPECT_EQ(check(h, "cas-register", 0, false).valid, Validity::kInvalid);
  EXPECT_EQ(with.findings["op"]["output"], 5);
}

TEST(LinearizablePruning, KvInfoAppendNeverSeenIsOmitted) {
  auto h = make_history({{kInv, 0, "append", "a", "k"}, {kOk, 0, "append", "a", "k"},
                         {kInv, 1, "append", "zz", "k"}, {kInfo, 1, "append", "zz", "k"},
                         {kInv, 2, "append", "b", "k"}, {kInfo, 2, "append", "b", "k"},
                         {kInv, 0, "get", nullptr, "k"}, {kOk, 0, "get", "ab", "k"}});
  auto with = check(h, "kv", "");
  EXPECT_EQ(with.valid, Validity::kValid) << with.text;
  EXPECT_EQ(with.findings["info_omitted"], 1);  // "zz"; "b" is seen in "ab"
  EXPECT_EQ(check(h, "kv", "", false).valid, Validity::kValid);
  // The same with a get that cannot be explained is caught.
  auto bad = make_history({{kInv, 1, "append", "zz", "k"}, {kInfo, 1, "append", "zz", "k"},
                           {kInv, 0, "get", nullptr, "k"}, {kOk, 0, "get", "q", "k"}});
  EXPECT_EQ(check(bad, "kv", "").valid, Validity::kInvalid);
}

TEST(LinearizablePruning, SetInfoAddNeverReadIsOmitted) {
  auto h = make_history({{kInv, 0, "add", 1}, {kOk, 0, "add", 1}, {kInv, 1, "add", 2}, {kInfo, 1, "add", 2},
                         {kInv, 0, "read", nullptr}, {kOk, 0, "read", json::array({1})}});
  auto with = check(h, "set", json::array());
  EXPECT_EQ(with.valid, Validity::kValid) << with.text;
  EXPECT_EQ(with.findings["info_omitted"], 1);
}

// ---- brute-force oracle ----

struct BruteOp {
  std::string f;
  json in, out;
  bool info;
  std::size_t call, ret;  // ret = SIZE_MAX for info
};

// Sequential semantics, shared with the checker's documented models.
bool brute_step(const std::string& model, json& state, const BruteOp& op) {
  if (model == "cas-register") {
    if (op.f == "read") return op.out.is_null() || state == op.out;
    if (op.f == "write") return state = op.in, true;
    if (state != op.in[0]) return false;
    state = op.in[1];
    return true;
  }
  if (model == "kv") {
    if (op.f == "get") return op.out.is_null() || state == op.out;
    if (op.f == "put") return state = op.in, true;
    state = state.get<std::string>() + op.in.get<std::string>();
    return true;
  }
  // set: state is a sorted array
  if (op.f == "read") {
    if (op.out.is_null()) return true;
    auto got = op.out;
    std::sort(got.begin(), got.end());
    return state == got;
  }
  auto v = state.get<std::vector<int>>();
  if (std::find(v.begin(), v.end(), op.in.get<int>()) == v.end()) v.push_back(op.in.get<int>());
  std::sort(v.begin(), v.end());
  state = v;
  return true;
}

bool brute_force(const std::string& model, const json& initial, const std::vector<BruteOp>& ops) {
  const std::size_t n = ops.size();
  std::vector<std::size_t> info;
  for (std::size_t i = 0; i < n; ++i)
    if (ops[i].info) info.push_back(i);
  for (std::uint32_t mask = 0; mask < (1u << info.size()); ++mask) {
    std::vector<std::size_t> chosen;
    for (std::size_t i = 0, k = 0; i < n; ++i) {
      if (ops[i].info && !((mask >> k++) & 1)) continue;
      chosen.push_back(i);
    }
    std::sort(chosen.begin(), chosen.end());
    do {
      bool ok = true;
      for (std::size_t a = 0; a < chosen.size() && ok; ++a)
        for (std::size_t b = a + 1; b < chosen.size() && ok; ++b)
          if (ops[chosen[b]].ret < ops[chosen[a]].call) ok = false;  // b returned before a was invoked
      json state = initial;
      for (std::size_t i = 0; i < chosen.size() && ok; ++i) ok = brute_step(model, state, ops[chosen[i]]);
      if (ok) return true;
    } while (std::next_permutation(chosen.begin(), chosen.end()));
  }
  return false;
}

// A random small history: `procs` processes, each op completes ok/fail/info
// at a random later point; results are random (so many are not linearizable).
void random_history(std::mt19937_64& rng, const std::string& model, std::vector<Row>& rows, std::vector<BruteOp>& ops) {
  std::uniform_int_distribution<int> pick(0, 99);
  const int total = 3 + pick(rng) % 5;  // 3..7 ops
  std::vector<int> pending(3, -1);      // process slot -> op index
  std::vector<std::int64_t> pid = {0, 1, 2};
  int started = 0;
  auto value = [&] { return pick(rng) % 3; };
  while (started < total || std::any_of(pending.begin(), pending.end(), [](int p) { return p >= 0; })) {
    int slot = pick(rng) % 3;
    if (pending[slot] < 0) {
      if (started >= total) continue;
      BruteOp op;
      int roll = pick(rng);
      if (model == "cas-register") {
        op.f = roll < 35 ? "read" : roll < 70 ? "write" : "cas";
        if (op.f == "write") op.in = value();
        if (op.f == "cas") op.in = json::array({value(), value()});
      } else if (model == "kv") {
        op.f = roll < 40 ? "get" : roll < 60 ? "put" : "append";
        if (op.f != "get") op.in = std::string(1, static_cast<char>('a' + value()));
      } else {
        op.f = roll < 40 ? "read" : "add";
        if (op.f == "add") op.in = value();
      }
      op.call = rows.size();
      op.ret = SIZE_MAX;
      op.info = false;
      rows.push_back({kInv, pid[slot], op.f, op.in, model == "kv" ? json("k") : json()});
      pending[slot] = static_cast<int>(ops.size());
      ops.push_back(op);
      ++started;
    } else {
      BruteOp& op = ops[static_cast<std::size_t>(pending[slot])];
      int roll = pick(rng);
      OpType type = roll < 15 ? kInfo : (op.f == "cas" && roll < 35) ? OpType::kFail : kOk;
      json out = op.in;
      if (op.f == "read" || op.f == "get") {
        if (type == kInfo) out = nullptr;
        else if (model == "cas-register") out = value();
        else if (model == "kv") {
          static const char* kStrings[] = {"", "a", "b", "ab", "ba", "c"};
          out = kStrings[pick(rng) % 6];
        } else {
          json s = json::array();
          for (int v = 0; v < 3; ++v)
            if (pick(rng) < 50) s.push_back(v);
          out = s;
        }
      }
      if (type == kOk) {
        op.ret = rows.size();
        op.out = (op.f == "read" || op.f == "get") ? out : json();
      }
      op.info = type == kInfo;
      if (type == OpType::kFail) op.f = "";  // did not happen
      rows.push_back({type, pid[slot], rows[op.call].f, out, model == "kv" ? json("k") : json()});
      pending[slot] = -1;
      if (type == kInfo) pid[slot] += 3;  // a crashed process is replaced
    }
  }
  std::erase_if(ops, [](const BruteOp& op) { return op.f.empty(); });
}

class LinearizableOracle : public ::testing::TestWithParam<const char*> {};

TEST_P(LinearizableOracle, VerdictsEqualBruteForce) {
  const std::string model = GetParam();
  const json initial = model == "kv" ? json("") : model == "set" ? json::array() : json(0);
  // LIN_ORACLE_HISTORIES / LIN_ORACLE_SEED: a longer sweep by hand (the default is what ctest runs).
  const char* histories = std::getenv("LIN_ORACLE_HISTORIES");
  const char* seed = std::getenv("LIN_ORACLE_SEED");
  std::mt19937_64 rng(seed ? std::strtoull(seed, nullptr, 10) : 20261125);
  const int total = histories ? std::atoi(histories) : 3000;
  int valid = 0, invalid = 0;
  for (int i = 0; i < total; ++i) {
    std::vector<Row> rows;
    std::vector<BruteOp> ops;
    random_history(rng, model, rows, ops);
    auto h = make_history(rows);
    const bool expected = brute_force(model, initial, ops);
    auto r = check(h, model, initial);
    ASSERT_EQ(r.valid, expected ? Validity::kValid : Validity::kInvalid)
        << "history " << i << ":\n" << [&] {
             std::string s;
             for (const auto& row : rows)
               s += fmt::format("  {} p{} {} {}\n", history::to_string(row.type), row.process, row.f, row.value.dump());
             return s;
           }() << r.text;
    ASSERT_EQ(check(h, model, initial, false).valid, r.valid) << "history " << i << " (omit_info false):\n" << [&] {
      std::string s;
      for (const auto& row : rows)
        s += fmt::format("  {} p{} {} {}\n", history::to_string(row.type), row.process, row.f, row.value.dump());
      return s;
    }();
    (expected ? valid : invalid)++;
  }
  EXPECT_GT(valid, total / 10);
  EXPECT_GT(invalid, total / 10);
}

INSTANTIATE_TEST_SUITE_P(Models, LinearizableOracle, ::testing::Values("cas-register", "kv", "set"),
                         [](const auto& info) {
                           std::string name = info.param;
                           std::erase(name, '-');
                           return name;
                         });

// ---- generated histories at the benchmark's concurrency ----

TEST(LinearizablePruning, HighConcurrencyGeneratedHistories) {
  for (std::size_t clients : {20, 50}) {
    for (std::uint64_t seed = 1; seed <= 3; ++seed) {
      linearizable::GeneratorOptions o;
      o.model = "cas-register";
      o.ops = 2000;
      o.clients = clients;
      o.info_rate = 0.05;
      o.values = 300;
      o.seed = seed;
      auto g = linearizable::generate_history(o);
      ASSERT_TRUE(g.ok());
      auto r = check(g->history, "cas-register", 0);
      EXPECT_EQ(r.valid, Validity::kValid) << clients << " clients, seed " << seed << ": " << r.text;
      auto pick = linearizable::corrupt_one_result(*g, "cas-register", seed);
      ASSERT_TRUE(pick);
      auto bad = check(g->history, "cas-register", 0);
      ASSERT_EQ(bad.valid, Validity::kInvalid) << clients << " clients, seed " << seed << ": " << bad.text;
      EXPECT_EQ(bad.findings["op"]["complete"]["index"], g->ops[*pick].complete);
    }
  }
}

}  // namespace
}  // namespace faultline::checkers
