// Integration test of `faultline fault apply|list|heal` against a real agent
// (the test agent with the marker mechanism). The CLI binary is built by the
// full build; when only the agent targets were built it is skipped.
#include <cstdio>

#include "tests/agent/integration/agent_process.h"

namespace faultline::agent::testing {
namespace {

#ifdef FAULTLINE_CLI_BIN
struct Output {
  int status = -1;
  std::string out;
};

Output run(const std::string& command) {
  Output result;
  FILE* pipe = ::popen((command + " 2>/dev/null").c_str(), "r");
  if (!pipe) return result;
  char buffer[4096];
  while (std::size_t n = std::fread(buffer, 1, sizeof buffer, pipe)) result.out.append(buffer, n);
  int status = ::pclose(pipe);
  result.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

std::string quote(const std::string& s) { return "'" + s + "'"; }

TEST(FaultCli, ApplyListHealAgainstARealAgent) {
  if (!std::filesystem::exists(FAULTLINE_CLI_BIN)) GTEST_SKIP() << "faultline CLI not built";
  TempDir dir;
  AgentProcess agent(FAULTLINE_TESTMECH_AGENT_BIN, dir.path());
  ASSERT_TRUE(agent.start());
  const std::string base = std::string(FAULTLINE_CLI_BIN) + " fault ";
  const std::string target = " --agent 127.0.0.1:" + std::to_string(agent.port()) + " --token-file " + (dir / "token").string();

  auto applied = run(base + "apply" + target + " --lease 60s " + quote(marker_spec(dir / "m1")));
  ASSERT_EQ(applied.status, 0) << applied.out;
  std::string id = applied.out.substr(0, applied.out.find('\n'));
  EXPECT_FALSE(id.empty());
  EXPECT_TRUE(std::filesystem::exists(dir / "m1"));
  auto second = run(base + "apply" + target + " --lease 60s " + quote(marker_spec(dir / "m2")));
  ASSERT_EQ(second.status, 0);

  auto listed = run(base + "list" + target);
  ASSERT_EQ(listed.status, 0);
  auto list = nlohmann::json::parse(listed.out, nullptr, false);
  ASSERT_TRUE(list.is_array()) << listed.out;
  EXPECT_EQ(list.size(), 2u);
  EXPECT_EQ(list[0]["id"], id);

  EXPECT_EQ(run(base + "heal" + target + " --id " + id).status, 0);
  EXPECT_FALSE(std::filesystem::exists(dir / "m1"));
  EXPECT_EQ(run(base + "heal" + target + " --id " + id).status, 1) << "healing an unknown id must fail";
  EXPECT_EQ(run(base + "heal" + target + " --all").status, 0);
  EXPECT_FALSE(std::filesystem::exists(dir / "m2"));

  // Bad input: exit 254, nothing applied.
  EXPECT_EQ(run(base + "apply" + target + " " + quote("{not json")).status, 254);
  EXPECT_EQ(run(base + "apply" + target + " " + quote(R"({"kind":"meteor"})")).status, 254);
  EXPECT_EQ(run(base + "heal" + target).status, 254);
  EXPECT_EQ(run(base + "list --agent 127.0.0.1:" + std::to_string(agent.port()) + " --token-file /nonexistent").status, 254);

  // --duration heals by itself although the command did not stay to renew.
  auto timed = run(base + "apply" + target + " --duration 300ms " + quote(marker_spec(dir / "m3")));
  ASSERT_EQ(timed.status, 0);
  EXPECT_TRUE(eventually([&] { return !std::filesystem::exists(dir / "m3"); }, 2s));
}
#endif

}  // namespace
}  // namespace faultline::agent::testing
