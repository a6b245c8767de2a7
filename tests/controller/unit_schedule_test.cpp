#include <algorithm>
#include <set>

#include <gtest/gtest.h>

#include "controller/nemesis/partition.h"
#include "controller/nemesis/schedule.h"
#include "controller/nemesis/selector.h"

using namespace faultline;
using namespace faultline::controller;

namespace {

const std::vector<std::string> kNodes{"n1", "n2", "n3", "n4", "n5"};

Suite base_suite(const std::string& nemesis) {
  std::string text = "duration: 60s\ncluster: {nodes: 5}\nsut: {command: 'true'}\n" + nemesis;
  auto suite = parse_suite(text, "s.yaml");
  EXPECT_TRUE(suite.ok()) << (suite.ok() ? "" : suite.error().message);
  return suite.ok() ? *suite : Suite{};
}

bool symmetric(const Grudge& g) {
  for (const auto& [a, dropped] : g)
    for (const auto& b : dropped) {
      auto it = g.find(b);
      if (it == g.end() || std::find(it->second.begin(), it->second.end(), a) == it->second.end()) return false;
      if (a == b) return false;
    }
  return true;
}

std::set<std::string> seen_by(const Grudge& g, const std::string& node, const std::vector<std::string>& nodes) {
  std::set<std::string> seen(nodes.begin(), nodes.end());
  if (auto it = g.find(node); it != g.end())
    for (const auto& d : it->second) seen.erase(d);
  return seen;
}

}  // namespace

TEST(Selector, SizesAndDeterminism) {
  auto select = [](TargetSelector::Kind kind, std::uint64_t seed) {
    Rng rng(seed);
    TargetSelector s;
    s.kind = kind;
    return select_targets(s, kNodes, rng);
  };
  EXPECT_EQ(select(TargetSelector::Kind::kOne, 1).size(), 1u);
  EXPECT_EQ(select(TargetSelector::Kind::kMinority, 1).size(), 2u);
  EXPECT_EQ(select(TargetSelector::Kind::kMajority, 1).size(), 3u);
  EXPECT_EQ(select(TargetSelector::Kind::kAll, 1), kNodes);
  EXPECT_EQ(select(TargetSelector::Kind::kMajority, 9), select(TargetSelector::Kind::kMajority, 9));
  std::set<std::vector<std::string>> distinct;
  for (std::uint64_t seed = 0; seed < 40; ++seed) distinct.insert(select(TargetSelector::Kind::kOne, seed));
  EXPECT_EQ(distinct.size(), 5u);  // every node gets picked by some seed
  TargetSelector list;
  list.kind = TargetSelector::Kind::kList;
  list.nodes = {"n4", "n2"};
  Rng rng(1);
  EXPECT_EQ(select_targets(list, kNodes, rng), (std::vector<std::string>{"n2", "n4"}));
  // A 2-node cluster still has a minority of one.
  Rng rng2(3);
  TargetSelector minority;
  minority.kind = TargetSelector::Kind::kMinority;
  EXPECT_EQ(select_targets(minority, {"a", "b"}, rng2).size(), 1u);
}

TEST(Partition, IsolateCutsTargetFromEveryone) {
  Rng rng(1);
  auto g = compute_grudge({{"kind", "partition"}, {"mode", "isolate"}}, {"n2"}, kNodes, rng);
  ASSERT_TRUE(g.ok());
  EXPECT_EQ(g->at("n2"), (std::vector<std::string>{"n1", "n3", "n4", "n5"}));
  EXPECT_EQ(g->at("n1"), std::vector<std::string>{"n2"});
  EXPECT_TRUE(symmetric(*g));
}

// isolate with a direction: `in` the target hears nobody (it drops every
// other node) but is heard; `out` nobody hears it (every other node drops
// it) but it hears them. The per-node specs stay one-way on the wire.
TEST(Partition, OneWayIsolate) {
  std::map<std::string, std::string> addresses;
  for (std::size_t i = 0; i < kNodes.size(); ++i) addresses[kNodes[i]] = "198.18.0." + std::to_string(i + 1);
  Rng rng(1);
  auto in = compute_grudge({{"kind", "partition"}, {"mode", "isolate"}, {"direction", "in"}}, {"n2"}, kNodes, rng);
  ASSERT_TRUE(in.ok());
  EXPECT_EQ(*in, (Grudge{{"n2", {"n1", "n3", "n4", "n5"}}}));
  auto in_specs = partition_specs(*in, addresses, {{"kind", "partition"}, {"mode", "isolate"}, {"direction", "in"}});
  ASSERT_EQ(in_specs.size(), 1u);
  EXPECT_EQ(in_specs["n2"], (nlohmann::json{{"kind", "partition"},
                                            {"peers", {"198.18.0.1", "198.18.0.3", "198.18.0.4", "198.18.0.5"}},
                                            {"direction", "in"}}));

  auto out = compute_grudge({{"kind", "partition"}, {"mode", "isolate"}, {"direction", "out"}}, {"n2"}, kNodes, rng);
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(*out, (Grudge{{"n1", {"n2"}}, {"n3", {"n2"}}, {"n4", {"n2"}}, {"n5", {"n2"}}}));
  auto out_specs = partition_specs(*out, addresses);
  ASSERT_EQ(out_specs.size(), 4u);
  EXPECT_FALSE(out_specs.count("n2"));
  EXPECT_EQ(out_specs["n4"], (nlohmann::json{{"kind", "partition"}, {"peers", {"198.18.0.2"}}, {"direction", "in"}}));

  // Two targets, direction in: each drops everyone else, the other target too.
  auto two = compute_grudge({{"kind", "partition"}, {"mode", "isolate"}, {"direction", "in"}}, {"n1", "n5"}, kNodes, rng);
  ASSERT_TRUE(two.ok());
  EXPECT_EQ(*two, (Grudge{{"n1", {"n2", "n3", "n4", "n5"}}, {"n5", {"n1", "n2", "n3", "n4"}}}));
  // `both` is the symmetric isolate; other modes refuse a direction.
  auto both = compute_grudge({{"kind", "partition"}, {"mode", "isolate"}, {"direction", "both"}}, {"n2"}, kNodes, rng);
  ASSERT_TRUE(both.ok());
  EXPECT_TRUE(symmetric(*both));
  EXPECT_FALSE(compute_grudge({{"kind", "partition"}, {"mode", "halves"}, {"direction", "in"}}, kNodes, kNodes, rng).ok());
  EXPECT_FALSE(compute_grudge({{"kind", "partition"}, {"mode", "isolate"}, {"direction", "sideways"}}, {"n2"}, kNodes, rng).ok());
}

// Through the suite: the schedule's grudge for a one-way isolate.
TEST(Schedule, OneWayIsolateFromTheSuite) {
  auto suite = base_suite(
      "nemesis:\n  - at: 1s\n    fault: {kind: partition, mode: isolate, direction: out}\n    targets: [n3]\n"
      "    duration: 1s\n");
  auto s = build_schedule(suite);
  ASSERT_TRUE(s.ok()) << s.error().message;
  ASSERT_EQ(s->size(), 1u);
  EXPECT_EQ((*s)[0].grudge, (Grudge{{"n1", {"n3"}}, {"n2", {"n3"}}, {"n4", {"n3"}}, {"n5", {"n3"}}}));
}

TEST(Partition, HalvesSplitsIntoTwoSides) {
  for (std::uint64_t seed = 0; seed < 20; ++seed) {
    Rng rng(seed);
    auto g = compute_grudge({{"kind", "partition"}, {"mode", "halves"}}, kNodes, kNodes, rng);
    ASSERT_TRUE(g.ok());
    EXPECT_TRUE(symmetric(*g));
    ASSERT_EQ(g->size(), 5u);
    std::multiset<std::size_t> sizes;
    for (const auto& [node, dropped] : *g) sizes.insert(dropped.size());
    EXPECT_EQ(sizes, (std::multiset<std::size_t>{2, 2, 2, 3, 3}));  // sides of 3 and 2
  }
}

TEST(Partition, MajorityRingEachSeesADifferentMajority) {
  Rng rng(5);
  auto g = compute_grudge({{"kind", "partition"}, {"mode", "majority-ring"}}, kNodes, kNodes, rng);
  ASSERT_TRUE(g.ok());
  EXPECT_TRUE(symmetric(*g));
  std::set<std::set<std::string>> views;
  for (const auto& node : kNodes) {
    auto seen = seen_by(*g, node, kNodes);
    EXPECT_EQ(seen.size(), 3u) << node;
    views.insert(seen);
  }
  EXPECT_EQ(views.size(), 5u);
}

TEST(Partition, BridgeNodeSeesBothSides) {
  Rng rng(2);
  auto g = compute_grudge({{"kind", "partition"}, {"mode", "bridge"}}, kNodes, kNodes, rng);
  ASSERT_TRUE(g.ok());
  EXPECT_TRUE(symmetric(*g));
  int bridges = 0;
  for (const auto& node : kNodes) {
    if (!g->count(node)) {
      ++bridges;
      continue;
    }
    EXPECT_EQ(g->at(node).size(), 2u) << node;  // sides of 2 and 2
  }
  EXPECT_EQ(bridges, 1);
}

TEST(Partition, ExplicitGrudgeIsDirectionalAsWritten) {
  Rng rng(1);
  nlohmann::json spec{{"kind", "partition"}, {"mode", "grudge"}, {"grudge", {{"n1", {"n3"}}, {"n5", {"n3", "n4"}}}}};
  auto g = compute_grudge(spec, kNodes, kNodes, rng);
  ASSERT_TRUE(g.ok());
  EXPECT_FALSE(symmetric(*g));
  EXPECT_EQ(*g, (Grudge{{"n1", {"n3"}}, {"n5", {"n3", "n4"}}}));
  // Both sides listed: two-way.
  nlohmann::json both{{"kind", "partition"}, {"mode", "grudge"}, {"grudge", {{"n1", {"n2"}}, {"n2", {"n1"}}}}};
  EXPECT_TRUE(symmetric(*compute_grudge(both, kNodes, kNodes, rng)));
}

TEST(Partition, PerNodeSpecsListPeerAddresses) {
  Grudge g{{"n1", {"n2", "n3"}}, {"n2", {"n1"}}, {"n3", {"n1"}}};
  std::map<std::string, std::string> addresses{{"n1", "198.18.0.1"}, {"n2", "198.18.0.2"}, {"n3", "198.18.0.3"}};
  auto specs = partition_specs(g, addresses);
  ASSERT_EQ(specs.size(), 3u);
  EXPECT_EQ(specs["n1"], (nlohmann::json{{"kind", "partition"}, {"peers", {"198.18.0.2", "198.18.0.3"}}}));
  EXPECT_EQ(specs["n2"], (nlohmann::json{{"kind", "partition"}, {"peers", {"198.18.0.1"}}}));
}

TEST(Partition, OneWayGrudgeGivesOneWaySpecs) {
  // n1 drops what n2 sends; n2 still hears n1.
  Grudge g{{"n1", {"n2"}}};
  std::map<std::string, std::string> addresses{{"n1", "198.18.0.1"}, {"n2", "198.18.0.2"}};
  auto specs = partition_specs(g, addresses, {{"kind", "partition"}, {"mode", "grudge"}, {"keep_established", true}});
  ASSERT_EQ(specs.size(), 1u);
  EXPECT_EQ(specs["n1"], (nlohmann::json{{"kind", "partition"},
                                         {"peers", {"198.18.0.2"}},
                                         {"direction", "in"},
                                         {"keep_established", true}}));
}

TEST(Schedule, FixedAndPeriodic) {
  auto suite = base_suite(R"(nemesis:
  - at: 5s
    fault: {kind: kill}
    targets: [n3]
    duration: 2s
  - every: 20s
    fault: {kind: pause}
    duration: 3s
)");
  auto s = build_schedule(suite);
  ASSERT_TRUE(s.ok()) << s.error().message;
  ASSERT_EQ(s->size(), 3u);
  EXPECT_EQ((*s)[0].id, "f1");
  EXPECT_EQ((*s)[0].start, 5'000'000'000);
  EXPECT_EQ((*s)[0].end, 7'000'000'000);
  EXPECT_EQ((*s)[0].targets, std::vector<std::string>{"n3"});
  EXPECT_EQ((*s)[1].start, 20'000'000'000);
  EXPECT_EQ((*s)[2].start, 40'000'000'000);
  EXPECT_EQ((*s)[2].end, 43'000'000'000);
  EXPECT_EQ((*s)[1].targets.size(), 1u);
}

TEST(Schedule, FaultsEndByTheSuiteDuration) {
  auto suite = base_suite("nemesis:\n  - at: 59s\n    fault: {kind: kill}\n    duration: 10s\n");
  auto s = build_schedule(suite);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ((*s)[0].end, 60'000'000'000);
}

TEST(Schedule, SeededRandomIsDeterministicAndSeedSensitive) {
  const std::string nemesis = R"(nemesis:
  seed: SEED
  schedule:
    - random:
        packages: [partition, kill, pause, clock, disk, packet]
        gap: [1s, 3s]
        duration: [1s, 4s]
)";
  auto with_seed = [&](const std::string& seed) {
    auto text = nemesis;
    text.replace(text.find("SEED"), 4, seed);
    auto s = build_schedule(base_suite(text));
    EXPECT_TRUE(s.ok());
    nlohmann::json out = nlohmann::json::array();
    for (const auto& f : *s) out.push_back({f.id, f.start, f.end, f.spec, f.targets, f.grudge});
    return out;
  };
  auto a = with_seed("11"), b = with_seed("11"), c = with_seed("12");
  EXPECT_EQ(a, b);
  EXPECT_NE(a, c);
  ASSERT_GT(a.size(), 8u);
  // Gaps and durations within bounds, no overlap within the entry.
  Nanos previous_end = 0;
  std::set<std::string> kinds;
  for (const auto& f : a) {
    Nanos start = f[1], end = f[2];
    EXPECT_GE(start - previous_end, 1'000'000'000);
    EXPECT_LE(start - previous_end, 3'000'000'000);
    EXPECT_LE(end - start, 4'000'000'000);
    EXPECT_LE(end, 60'000'000'000);
    previous_end = end;
    kinds.insert(f[3]["kind"].get<std::string>());
  }
  EXPECT_GE(kinds.size(), 4u);
}

TEST(Schedule, PartitionCarriesGrudgeAndEffectiveTargets) {
  auto suite = base_suite("nemesis:\n  - at: 1s\n    fault: {kind: partition, mode: isolate}\n    targets: [n4]\n    duration: 1s\n");
  auto s = build_schedule(suite);
  ASSERT_TRUE(s.ok());
  ASSERT_EQ(s->size(), 1u);
  EXPECT_EQ((*s)[0].targets, kNodes);  // everyone drops someone
  EXPECT_EQ((*s)[0].grudge.at("n4").size(), 4u);
  EXPECT_EQ(possible_kinds(suite), std::vector<std::string>{"partition"});
}

TEST(Schedule, PossibleKindsCoverEveryPackageVariant) {
  auto suite = base_suite("nemesis:\n  - random:\n      packages: [packet, clock]\n      duration: 1s\n");
  EXPECT_EQ(possible_kinds(suite), (std::vector<std::string>{"clock-skew", "delay", "loss"}));
}
