#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>

#include <fmt/format.h>

#include "controller/suite/suite.h"
#include "faults/spec/field.h"

using namespace faultline;
using namespace faultline::controller;

namespace {

const char* kSuite = R"(name: demo
duration: 30s
cluster:
  provider: local
  nodes: 5
sut:
  command: "sleep 1000 # {node} {peers}"
  port: 7000
  ready: {tcp: 7000, timeout: 5s}
nemesis:
  seed: 42
  schedule:
    - at: 5s
      fault: {kind: partition, mode: halves}
      duration: 5s
    - every: 10s
      fault: {kind: kill}
      targets: one
      duration: 2s
    - random:
        packages: [pause, clock]
        gap: [1s, 3s]
        duration: [1s, 2s]
checkers:
  detector: {detection_bound: 3s}
)";

std::string error_of(const std::string& text, const std::vector<std::string>& sets = {}) {
  auto suite = parse_suite(text, "s.yaml", sets);
  EXPECT_FALSE(suite.ok());
  return suite.ok() ? "" : suite.error().message;
}

std::string replace(std::string text, const std::string& from, const std::string& to) {
  auto pos = text.find(from);
  EXPECT_NE(pos, std::string::npos) << from;
  return text.replace(pos, from.size(), to);
}

}  // namespace

TEST(Suite, ParsesEverySection) {
  auto suite = parse_suite(kSuite, "s.yaml");
  ASSERT_TRUE(suite.ok()) << suite.error().message;
  EXPECT_EQ(suite->name, "demo");
  EXPECT_EQ(suite->duration, 30'000'000'000);
  EXPECT_EQ(suite->cluster.nodes, (std::vector<std::string>{"n1", "n2", "n3", "n4", "n5"}));
  EXPECT_EQ(suite->cluster.subnet, "198.18.0.0/24");
  EXPECT_EQ(suite->sut.command.size(), 3u);
  EXPECT_EQ(suite->sut.command[0], "/bin/sh");
  EXPECT_EQ(suite->sut.ready.kind, ReadyCheck::Kind::kTcp);
  EXPECT_EQ(suite->sut.ready.timeout, 5'000'000'000);
  EXPECT_EQ(suite->nemesis.seed, 42u);
  ASSERT_EQ(suite->nemesis.schedule.size(), 3u);
  EXPECT_EQ(suite->nemesis.schedule[0].fault.spec["mode"], "halves");
  EXPECT_EQ(suite->nemesis.schedule[0].fault.targets.kind, TargetSelector::Kind::kAll);
  EXPECT_EQ(suite->nemesis.schedule[1].fault.targets.kind, TargetSelector::Kind::kOne);
  EXPECT_EQ(suite->nemesis.schedule[2].packages.size(), 2u);
  EXPECT_EQ(suite->checkers.names, std::vector<std::string>{"detector"});
  EXPECT_EQ(suite->checkers.config["detector"]["detection_bound"], "3s");
}

TEST(Suite, ErrorsNameFileLineAndField) {
  EXPECT_EQ(error_of(replace(kSuite, "duration: 5s", "duration: five")),
            "s.yaml:15: nemesis.schedule[0].duration: invalid duration 'five': expected a number and a unit");
  EXPECT_NE(error_of(replace(kSuite, "kind: kill", "kind: explode")).find("s.yaml:17: nemesis.schedule[1].fault.kind: unknown fault kind 'explode'"),
            std::string::npos);
  EXPECT_NE(error_of(replace(kSuite, "mode: halves", "mode: thirds")).find("s.yaml:14: nemesis.schedule[0].fault.mode: 'thirds' is not one of: isolate"),
            std::string::npos);
  EXPECT_NE(error_of(replace(kSuite, "  port: 7000", "  prot: 7000")).find("s.yaml:8: sut.prot: unknown field"),
            std::string::npos);
  EXPECT_NE(error_of(replace(kSuite, "targets: one", "targets: n9")).find("s.yaml:18: nemesis.schedule[1].targets: 'n9' is not a selector"),
            std::string::npos);
  EXPECT_NE(error_of(replace(kSuite, "packages: [pause, clock]", "packages: [pause, meteor]")).find("s.yaml:21: nemesis.schedule[2].random.packages[1]: unknown package 'meteor'"),
            std::string::npos);
  EXPECT_NE(error_of(replace(kSuite, "duration: 30s\n", "")).find("s.yaml:1: (suite): missing required field 'duration'"),
            std::string::npos);
  EXPECT_NE(error_of("name: [unclosed\n").find("s.yaml:2: invalid YAML"), std::string::npos);
  EXPECT_NE(error_of(replace(kSuite, "checkers:\n  detector", "checkers:\n  telepathy")).find("unknown checker 'telepathy'"),
            std::string::npos);
  EXPECT_NE(error_of(replace(kSuite, "- at: 5s", "- at: 50s")).find("s.yaml:13: nemesis.schedule[0].at: is not before the end"),
            std::string::npos);
}

TEST(Suite, GrudgeNodesMustExist) {
  auto text = replace(kSuite, "{kind: partition, mode: halves}", "{kind: partition, mode: grudge, grudge: {n1: [n7]}}");
  EXPECT_NE(error_of(text).find("\"n7\" is not a node of the cluster"), std::string::npos);
}

TEST(Suite, NodeListAndSubnet) {
  auto text = replace(kSuite, "nodes: 5", "nodes: [a, b, c]\n  subnet: 10.9.0.0/24");
  auto suite = parse_suite(text, "s.yaml");
  ASSERT_TRUE(suite.ok()) << suite.error().message;
  EXPECT_EQ(suite->cluster.nodes, (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(suite->cluster.subnet, "10.9.0.0/24");
  EXPECT_NE(error_of(replace(kSuite, "nodes: 5", "nodes: [a, a]")).find("s.yaml:5: cluster.nodes[1]: node 'a' listed twice"),
            std::string::npos);
  EXPECT_NE(error_of(replace(kSuite, "nodes: 5", "nodes: 5\n  subnet: 300.1.0.0/24")).find("s.yaml:6: cluster.subnet"),
            std::string::npos);
}

TEST(SuiteSet, OverridesAnyFieldWithYamlTypes) {
  auto suite = parse_suite(kSuite, "s.yaml",
                           {"duration=20s", "cluster.nodes=3", "nemesis.seed=7", "nemesis.schedule.1.targets=[n1, n2]",
                            "sut.env.MODE=fast", "checkers.detector.strict_accuracy=true", "name=renamed"});
  ASSERT_TRUE(suite.ok()) << suite.error().message;
  EXPECT_EQ(suite->duration, 20'000'000'000);
  EXPECT_EQ(suite->cluster.nodes.size(), 3u);
  EXPECT_EQ(suite->nemesis.seed, 7u);
  EXPECT_EQ(suite->nemesis.schedule[1].fault.targets.nodes, (std::vector<std::string>{"n1", "n2"}));
  EXPECT_EQ(suite->sut.env.at("MODE"), "fast");
  EXPECT_EQ(suite->checkers.config["detector"]["strict_accuracy"], true);
  EXPECT_EQ(suite->name, "renamed");
}

TEST(SuiteSet, ErrorsNameTheOverride) {
  EXPECT_EQ(error_of(kSuite, {"nemesis.schedule.0.duration=soon"}),
            "--set nemesis.schedule[0].duration: nemesis.schedule[0].duration: invalid duration 'soon': expected a number and a unit");
  EXPECT_NE(error_of(kSuite, {"nemesis.schedule.9.duration=1s"}).find("--set nemesis.schedule.9.duration: '9' is not an index"),
            std::string::npos);
  EXPECT_NE(error_of(kSuite, {"duration"}).find("expected key=value"), std::string::npos);
  EXPECT_NE(error_of(kSuite, {"name.inner=x"}).find("inside a scalar"), std::string::npos);
  EXPECT_NE(error_of(kSuite, {"cluster.nodes=0"}).find("--set cluster.nodes: cluster.nodes: must be between 1 and 250"),
            std::string::npos);
}

TEST(Suite, ExampleSuitesParse) {
  for (const char* name : {"combined.yaml", "partition-smoke.yaml"}) {
    auto suite = load_suite(std::string(FAULTLINE_SOURCE_DIR) + "/examples/suites/" + name);
    EXPECT_TRUE(suite.ok()) << name << ": " << (suite.ok() ? "" : suite.error().message);
  }
}

TEST(Suite, DataFsAndItsFaults) {
  const std::string slow = "{kind: disk-slow, delay: 20ms, ops: [write, fsync], path: '*.log'}";
  auto without = replace(kSuite, "{kind: partition, mode: halves}", slow);
  EXPECT_NE(error_of(without).find("s.yaml:14: nemesis.schedule[0].fault: disk-slow acts on the faultable data fs: set "
                                   "sut.data_fs: faultable"),
            std::string::npos)
      << error_of(without);
  auto with = replace(without, "  port: 7000", "  port: 7000\n  data_fs: faultable");
  auto suite = parse_suite(with, "s.yaml");
  ASSERT_TRUE(suite.ok()) << suite.error().message;
  EXPECT_TRUE(suite->sut.data_fs);
  EXPECT_NE(error_of(replace(with, "ops: [write, fsync]", "ops: [write, scribble]")).find("'scribble' is not one of"),
            std::string::npos);
  EXPECT_NE(error_of(replace(with, "delay: 20ms", "dealy: 20ms")).find("unknown field \"dealy\""), std::string::npos);
  EXPECT_NE(error_of(replace(kSuite, "  port: 7000", "  port: 7000\n  data_fs: fancy")).find("sut.data_fs: expected 'faultable' or 'none'"),
            std::string::npos);
  // The disk package gains the data fs kinds only with a data fs.
  auto packages = [](const std::string& text) {
    auto s = parse_suite(text, "s.yaml");
    EXPECT_TRUE(s.ok()) << (s.ok() ? "" : s.error().message);
    std::vector<std::string> kinds;
    for (const auto& v : s->nemesis.schedule[2].packages[0].variants) kinds.push_back(v.spec["kind"]);
    return kinds;
  };
  auto disk = replace(kSuite, "packages: [pause, clock]", "packages: [disk]");
  EXPECT_EQ(packages(disk), (std::vector<std::string>{"disk-fill"}));
  EXPECT_EQ(packages(replace(disk, "  port: 7000", "  port: 7000\n  data_fs: faultable")),
            (std::vector<std::string>{"disk-fill", "disk-slow", "disk-error", "lose-unsynced"}));
}

// Every kind of the fault schema, each field misspelt in a suite: refused at
// load with FILE:LINE (the misspelt key's line), the field's path, the
// did-you-mean and the kind's fields; each kind's example, spelt right, loads.
TEST(Suite, EveryKindWithAMisspeltFieldIsRefusedAtItsLine) {
  using faults::spec::Scope;
  int walked = 0;
  for (const auto& kind : faults::spec::all_kinds()) {
    nlohmann::json example;
    for (const auto& e : kind.examples) {
      auto j = nlohmann::json::parse(e);
      if (!j.contains("peers")) {
        example = j;
        break;
      }
    }
    ASSERT_FALSE(example.is_null()) << kind.kind;
    auto suite_with = [&](const nlohmann::json& spec, const std::string& last_key) {
      std::string text = replace(kSuite, "  port: 7000", "  port: 7000\n  data_fs: faultable");
      std::string fault = "\n";
      for (auto& [k, v] : spec.items())
        if (k != last_key) fault += "        " + k + ": " + v.dump() + "\n";
      if (!last_key.empty()) fault += "        " + last_key + ": " + spec[last_key].dump() + "\n";
      fault.pop_back();
      return replace(text, " {kind: partition, mode: halves}", fault);
    };
    auto good = parse_suite(suite_with(example, ""), "s.yaml");
    EXPECT_TRUE(good.ok()) << kind.kind << ": " << (good.ok() ? "" : good.error().message);
    for (const auto& f : kind.fields) {
      if (f.scope == Scope::kAgent) continue;
      auto spec = example;
      const std::string wrong = f.name.substr(0, 1) + "q" + f.name.substr(1);
      spec[wrong] = spec.contains(f.name) ? spec[f.name] : nlohmann::json("1");
      spec.erase(f.name);
      auto text = suite_with(spec, wrong);
      auto before = text.substr(0, text.find("        " + wrong + ":"));
      const int line = static_cast<int>(std::count(before.begin(), before.end(), '\n')) + 1;
      auto error = error_of(text);
      EXPECT_NE(error.find(fmt::format("s.yaml:{}: nemesis.schedule[0].fault.{}: unknown field \"{}\"; did you mean \"{}\"?",
                                       line, wrong, wrong, f.name)),
                std::string::npos)
          << error;
      EXPECT_NE(error.find(kind.kind + " takes: "), std::string::npos) << error;
      ++walked;
    }
  }
  EXPECT_GT(walked, 50);
  // A field the kind lacks, an unknown kind, a value out of range.
  EXPECT_NE(error_of(replace(kSuite, "{kind: partition, mode: halves}", "{kind: blackhole-out, direction: out}"))
                .find("s.yaml:14: nemesis.schedule[0].fault.direction: unknown field \"direction\""),
            std::string::npos);
  EXPECT_NE(error_of(replace(kSuite, "{kind: partition, mode: halves}", "{kind: dealy, delay: 5ms}"))
                .find("s.yaml:14: nemesis.schedule[0].fault.kind: unknown fault kind 'dealy'; did you mean 'delay'?"),
            std::string::npos);
  EXPECT_NE(error_of(replace(kSuite, "{kind: partition, mode: halves}", "{kind: loss, percent: 150}"))
                .find("s.yaml:14: nemesis.schedule[0].fault.percent: 150 is outside 0..100"),
            std::string::npos);
  EXPECT_NE(error_of(replace(kSuite, "{kind: partition, mode: halves}", "{kind: partition, peers: [198.18.0.2]}"))
                .find("nemesis.schedule[0].fault.peers: the controller computes"),
            std::string::npos);
}

// A partition's direction in a suite: one-way isolate; any other mode
// refuses it at its line (a grudge is one-way as written).
TEST(Suite, PartitionDirectionOnlyWithIsolate) {
  auto ok = parse_suite(replace(kSuite, "{kind: partition, mode: halves}", "{kind: partition, mode: isolate, direction: in}"),
                        "s.yaml");
  ASSERT_TRUE(ok.ok()) << ok.error().message;
  EXPECT_EQ(ok->nemesis.schedule[0].fault.spec.value("direction", ""), "in");
  EXPECT_NE(error_of(replace(kSuite, "{kind: partition, mode: halves}", "{kind: partition, mode: halves, direction: out}"))
                .find("s.yaml:14: nemesis.schedule[0].fault.direction: direction \"out\" needs mode isolate"),
            std::string::npos);
  EXPECT_NE(error_of(replace(kSuite, "{kind: partition, mode: halves}", "{kind: partition, mode: isolate, direction: up}"))
                .find("s.yaml:14: nemesis.schedule[0].fault.direction"),
            std::string::npos);
}

TEST(Suite, EveryExampleSuiteLoads) {
  for (const auto& entry : std::filesystem::directory_iterator(std::string(FAULTLINE_SOURCE_DIR) + "/examples/suites")) {
    if (entry.path().extension() != ".yaml") continue;
    auto suite = load_suite(entry.path().string());
    EXPECT_TRUE(suite.ok()) << entry.path() << ": " << (suite.ok() ? "" : suite.error().message);
  }
}
