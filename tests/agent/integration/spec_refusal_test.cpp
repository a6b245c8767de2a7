// Strict fault specs end to end: a misspelt or unknown field, an
// unknown kind, a value out of range are refused by the agent itself (an
// error reply, nothing applied, nothing journaled), by `faultline fault
// apply` (exit 254, the agent never asked) and at suite load by `faultline
// run` (exit 254, FILE:LINE and the field named, before anything starts).
// Walks every kind of the schema.
#include <algorithm>
#include <cstdio>
#include <fstream>

#include "faults/spec/field.h"
#include "tests/agent/integration/agent_process.h"

namespace faultline::agent::testing {
namespace {

using nlohmann::json;

json valid_agent_spec(const faults::spec::KindSpec& kind) {
  for (const auto& e : kind.examples) {
    auto j = json::parse(e);
    if (faults::FaultSpec::parse(j)) return j;
  }
  ADD_FAILURE() << kind.kind << " has no example the agent accepts";
  return json{{"kind", kind.kind}};
}

std::string misspelt(const std::string& name) { return name.substr(0, 1) + "q" + name.substr(1); }

// Each kind with each of its own fields misspelt (or "jqitter" for a kind without fields).
std::vector<std::pair<json, std::string>> misspelt_specs() {
  std::vector<std::pair<json, std::string>> out;
  for (const auto& kind : faults::spec::all_kinds()) {
    bool any = false;
    for (const auto& f : kind.fields) {
      if (f.scope == faults::spec::Scope::kSuite) continue;
      auto spec = valid_agent_spec(kind);
      spec[misspelt(f.name)] = spec.contains(f.name) ? spec[f.name] : json("1");
      spec.erase(f.name);
      out.emplace_back(spec, misspelt(f.name));
      any = true;
    }
    if (!any) {
      auto spec = valid_agent_spec(kind);
      spec["jqitter"] = "10ms";
      out.emplace_back(spec, "jqitter");
    }
  }
  return out;
}

// The acceptance cases.
std::vector<std::pair<json, std::string>> acceptance_specs(const std::string& marker) {
  return {{{{"kind", "delay"}, {"delay", "50ms"}, {"jiter", "10ms"}}, "did you mean \"jitter\""},
          {{{"kind", "loss"}, {"percnt", 30}}, "did you mean \"percent\""},
          {{{"kind", "disk-slow"}, {"delay", "1ms"}, {"direction", "out"}, {"x-marker", marker}}, "unknown field \"direction\""},
          {{{"kind", "dealy"}, {"delay", "50ms"}}, "unknown fault kind 'dealy'; did you mean 'delay'?"},
          {{{"kind", "loss"}, {"percent", 150}}, "150 is outside 0..100"}};
}

TEST(StrictSpecs, TheAgentRefusesEveryKindWithAMisspeltFieldAndAppliesNothing) {
  TempDir dir;
  AgentProcess agent(FAULTLINE_TESTMECH_AGENT_BIN, dir.path());
  ASSERT_TRUE(agent.start());
  auto client = agent.client();
  ASSERT_TRUE(client);
  auto cases = misspelt_specs();
  for (auto& c : acceptance_specs((dir / "marker").string())) cases.push_back(c);
  for (const auto& [spec, expected] : cases) {
    // Built by hand, not through FaultSpec::parse, so the agent is what checks it.
    faults::FaultSpec raw{spec.value("kind", std::string()), spec, std::nullopt};
    auto applied = client->apply(raw, 60'000'000'000);
    ASSERT_FALSE(applied) << spec.dump() << " was applied";
    EXPECT_EQ(applied.error().code, ErrorCode::kInvalidInput) << applied.error().message;
    EXPECT_NE(applied.error().message.find(expected), std::string::npos) << applied.error().message;
  }
  auto list = client->list();
  ASSERT_TRUE(list);
  EXPECT_TRUE(list->empty()) << list->dump();
  EXPECT_FALSE(std::filesystem::exists(dir / "marker")) << "the marker mechanism ran";
  // The same marker spec, spelt right, is applied: the refusal was the field.
  faults::FaultSpec good{"disk-slow", {{"kind", "disk-slow"}, {"delay", "1ms"}, {"x-marker", (dir / "marker").string()}},
                         std::nullopt};
  ASSERT_TRUE(client->apply(good, 60'000'000'000));
  EXPECT_TRUE(std::filesystem::exists(dir / "marker"));
  ASSERT_TRUE(client->heal_all());
}

#ifdef FAULTLINE_CLI_BIN
struct Output {
  int status = -1;
  std::string text;  // stdout and stderr
};

Output run(const std::string& command) {
  Output result;
  FILE* pipe = ::popen((command + " 2>&1").c_str(), "r");
  if (!pipe) return result;
  char buffer[4096];
  while (std::size_t n = std::fread(buffer, 1, sizeof buffer, pipe)) result.text.append(buffer, n);
  int status = ::pclose(pipe);
  result.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

std::string quote(const std::string& s) { return "'" + s + "'"; }

TEST(StrictSpecs, FaultApplyExits254ForEveryKindWithAMisspeltField) {
  if (!std::filesystem::exists(FAULTLINE_CLI_BIN)) GTEST_SKIP() << "faultline CLI not built";
  TempDir dir;
  AgentProcess agent(FAULTLINE_TESTMECH_AGENT_BIN, dir.path());
  ASSERT_TRUE(agent.start());
  const std::string apply = std::string(FAULTLINE_CLI_BIN) + " fault apply --agent 127.0.0.1:" +
                            std::to_string(agent.port()) + " --token-file " + (dir / "token").string() + " ";
  auto cases = misspelt_specs();
  for (auto& c : acceptance_specs((dir / "marker").string())) cases.push_back(c);
  for (const auto& [spec, expected] : cases) {
    auto out = run(apply + quote(spec.dump()));
    EXPECT_EQ(out.status, 254) << spec.dump() << ": " << out.text;
    EXPECT_NE(out.text.find(expected), std::string::npos) << out.text;
  }
  auto client = agent.client();
  ASSERT_TRUE(client);
  auto list = client->list();
  ASSERT_TRUE(list);
  EXPECT_TRUE(list->empty()) << list->dump();
  EXPECT_FALSE(std::filesystem::exists(dir / "marker"));
  // The schema is browsable without an agent.
  auto kinds = run(std::string(FAULTLINE_CLI_BIN) + " fault kinds delay");
  EXPECT_EQ(kinds.status, 0);
  EXPECT_NE(kinds.text.find("jitter"), std::string::npos) << kinds.text;
  EXPECT_EQ(run(std::string(FAULTLINE_CLI_BIN) + " fault kinds dealy").status, 254);
}

TEST(StrictSpecs, SuiteLoadExits254WithFileLineAndFieldBeforeAnythingStarts) {
  if (!std::filesystem::exists(FAULTLINE_CLI_BIN)) GTEST_SKIP() << "faultline CLI not built";
  TempDir dir;
  struct Case {
    std::string fault_lines;  // the fault map's lines; the bad one is the last
    std::string field;
    std::string expected;
  };
  const std::vector<Case> cases = {
      {"kind: delay\n        delay: 50ms\n        jiter: 10ms", "jiter", "did you mean \"jitter\"?"},
      {"kind: loss\n        percnt: 30", "percnt", "did you mean \"percent\"?"},
      {"kind: blackhole-out\n        direction: out", "direction", "unknown field \"direction\""},
      {"kind: loss\n        percent: 150", "percent", "150 is outside 0..100"},
      {"kind: dealy", "kind", "did you mean 'delay'?"},
  };
  for (const auto& c : cases) {
    const std::string suite = "name: bad\nduration: 5s\ncluster: {provider: local, nodes: 3}\n"
                              "sut: {command: \"sleep 100\"}\n"
                              "nemesis:\n  schedule:\n    - at: 1s\n      duration: 1s\n      fault:\n        " +
                              c.fault_lines + "\n";
    const int line = static_cast<int>(std::count(suite.begin(), suite.end(), '\n'));
    std::ofstream(dir / "bad.yaml") << suite;
    auto out = run(std::string(FAULTLINE_CLI_BIN) + " run " + (dir / "bad.yaml").string() + " --out " +
                   (dir / "out").string());
    EXPECT_EQ(out.status, 254) << out.text;
    const std::string where = "bad.yaml:" + std::to_string(line) + ": nemesis.schedule[0].fault." + c.field + ": ";
    EXPECT_NE(out.text.find(where), std::string::npos) << "expected " << where << " in: " << out.text;
    EXPECT_NE(out.text.find(c.expected), std::string::npos) << out.text;
    std::error_code ec;
    for (const auto& entry : std::filesystem::recursive_directory_iterator(dir / "out", ec))
      EXPECT_NE(entry.path().filename(), "history.jsonl") << "the run started: " << entry.path();
  }
}
#endif

}  // namespace
}  // namespace faultline::agent::testing
