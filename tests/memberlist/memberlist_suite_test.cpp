// examples/memberlist-node/suite.yaml through `faultline run` on the local
// provider: the Go service on hashicorp/memberlist v0.7.0 is judged valid
// (exit 0) under its declared profiles, and with `--bug slow-probe` (a 5s
// probe interval while the suite declares memberlist-lan's 1s) the detector
// checker judges it invalid (exit 1). Needs root, faultline, faultline-agent
// and faultline-memberlist-node in the bin dir; skipped otherwise. About two
// minutes per run.
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace {

namespace fs = std::filesystem;
const fs::path kBin = FAULTLINE_BIN_DIR;
const fs::path kSuite = fs::path(FAULTLINE_SOURCE_DIR) / "examples" / "memberlist-node" / "suite.yaml";

struct Run {
  int exit_code = -1;
  nlohmann::json results;
  std::string log;
};

// Runs the suite into a fresh directory, which is removed afterwards (also
// when the run failed); the console log and results.json are kept in Run.
Run run_suite(const std::string& node_args) {
  fs::path out = fs::temp_directory_path() / ("memberlist-suite-" + std::to_string(::getpid()));
  std::error_code ec;
  fs::remove_all(out, ec);
  fs::create_directories(out);
  std::string cmd = "'" + (kBin / "faultline").string() + "' run '" + kSuite.string() + "' --out '" + out.string() + "'";
  if (!node_args.empty()) cmd += " --set 'sut.env.MEMBERLIST_ARGS=" + node_args + "'";
  cmd += " > '" + out.string() + ".log' 2>&1";
  Run r;
  int status = std::system(cmd.c_str());
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  std::ifstream log(out.string() + ".log");
  r.log.assign(std::istreambuf_iterator<char>(log), {});
  std::ifstream in(out / "memberlist" / "latest" / "results.json");
  if (in) r.results = nlohmann::json::parse(in, nullptr, false);
  fs::remove_all(out, ec);
  fs::remove(out.string() + ".log", ec);
  return r;
}

bool can_run() {
  return ::geteuid() == 0 && fs::exists(kBin / "faultline") && fs::exists(kBin / "faultline-agent") &&
         fs::exists(kBin / "faultline-memberlist-node");
}

// A checker's "valid" in results.json, or null when it did not run.
nlohmann::json valid_of(const nlohmann::json& results, const char* name) {
  if (!results.is_object() || !results.contains("checkers") || !results["checkers"].contains(name)) return nullptr;
  const auto& c = results["checkers"][name];
  return c.is_object() && c.contains("valid") ? c["valid"] : nlohmann::json(nullptr);
}

std::string findings(const nlohmann::json& results) {
  if (!results.is_object() || !results.contains("checkers")) return "no checkers in results.json";
  std::string out;
  for (const auto& [name, c] : results["checkers"].items())
    out += name + ": " + c.dump().substr(0, 1500) + "\n";
  return out;
}

TEST(MemberlistSuite, CorrectNodeIsValid) {
  if (!can_run()) GTEST_SKIP() << "needs root and faultline, faultline-agent, faultline-memberlist-node in " << kBin;
  auto r = run_suite("");
  EXPECT_EQ(r.exit_code, 0) << r.log << findings(r.results);
  ASSERT_TRUE(r.results.is_object()) << r.log;
  for (const char* name : {"detector", "breaker", "retry"})
    EXPECT_EQ(valid_of(r.results, name), nlohmann::json(true)) << name << ": " << findings(r.results);
}

// The slow prober detects the kill, the pause and both partitions far later
// than memberlist-lan does (its suspicion timeout scales with the interval).
TEST(MemberlistSuite, SlowProbeIsInvalid) {
  if (!can_run()) GTEST_SKIP() << "needs root and faultline, faultline-agent, faultline-memberlist-node in " << kBin;
  auto r = run_suite("--bug slow-probe");
  EXPECT_EQ(r.exit_code, 1) << r.log << findings(r.results);
  ASSERT_TRUE(r.results.is_object()) << r.log;
  EXPECT_EQ(valid_of(r.results, "detector"), nlohmann::json(false)) << findings(r.results);
  const auto d = r.results.value("checkers", nlohmann::json::object()).value("detector", nlohmann::json::object());
  const auto violations = d.is_object() ? d.value("violations", nlohmann::json::array()) : nlohmann::json::array();
  ASSERT_FALSE(violations.empty()) << findings(r.results);
  // Each finding names the pair and the reference's range.
  EXPECT_NE(violations[0].dump().find("reference"), std::string::npos) << violations[0].dump();
  // The breaker and retry behave as declared whatever the detector does.
  for (const char* name : {"breaker", "retry"})
    EXPECT_EQ(valid_of(r.results, name), nlohmann::json(true)) << name << ": " << findings(r.results);
}

}  // namespace
