// Ctrl-C in the middle of `faultline shrink`, against the demo node on the
// local provider (integration: root, namespaces, real faults; run it under
// the host lock, the shrink's reruns take no lock of their own).
// A short nightly run with --bug read-one fails (not linearizable); its
// shrink is sent SIGINT while a rerun is in flight, after the search has
// kept a first candidate. The shrink must exit 2 (interrupted), leave that
// candidate — the best schedule so far — in shrunk.yaml and summary.json,
// and leave nothing behind: no namespace, no agent, node or client process
// that was not there before.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tests/demo/nightly_run.h"

namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

using namespace faultline::testing::demo;

std::string read(const fs::path& file) {
  std::ifstream in(file);
  return {std::istreambuf_iterator<char>(in), {}};
}

// What a run leaves when it does not clean up: faultline namespaces, its
// agents, nodes and clients, and `faultline` processes working in `dir`.
std::set<std::string> leftovers(const fs::path& dir) {
  std::set<std::string> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator("/run/netns", ec))
    if (e.path().filename().string().rfind("faultline-", 0) == 0) out.insert("netns " + e.path().filename().string());
  for (const auto& e : fs::directory_iterator("/proc", ec)) {
    const std::string pid = e.path().filename().string();
    if (pid.find_first_not_of("0123456789") != std::string::npos) continue;
    std::string comm = read(e.path() / "comm");
    if (!comm.empty() && comm.back() == '\n') comm.pop_back();
    const bool ours = comm == "faultline-agent" || comm.rfind("faultline-demo", 0) == 0 ||
                      (comm == "faultline" && read(e.path() / "cmdline").find(dir.string()) != std::string::npos);
    if (ours) out.insert("process " + pid + " " + comm);
  }
  return out;
}

std::vector<json> lines_of(const fs::path& file) {
  std::vector<json> out;
  std::ifstream in(file);
  for (std::string line; std::getline(in, line);) {
    auto j = json::parse(line, nullptr, false);
    if (j.is_object()) out.push_back(j);
  }
  return out;
}

TEST(Shrink, InterruptedLeavesTheBestScheduleSoFarAndNothingElse) {
  if (!can_run()) GTEST_SKIP() << "needs root and faultline, faultline-agent in " << kBin;
  Scratch scratch("demo-shrink-int");
  const auto before = leftovers(scratch.dir);
  const std::string env = "FAULTLINE_DEMO_BIN='" + kBin.string() + "' ";
  const std::string faultline = "'" + (kBin / "faultline").string() + "'";
  int status = std::system((env + faultline + " run '" + kSuite.string() +
                            "' --set duration=20s --set 'sut.env.DEMO_ARGS=--bug read-one' --out '" +
                            (scratch.dir / "out").string() + "' > '" + (scratch.dir / "run.log").string() + "' 2>&1")
                               .c_str());
  std::error_code ec;
  const fs::path run = fs::canonical(scratch.dir / "out" / "nightly" / "latest", ec);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 1)
    GTEST_SKIP() << "the 20s read-one run did not fail this time: " << read(scratch.dir / "run.log");

  // The shrink, in a process group of its own (as a terminal would run it).
  const fs::path log = scratch.dir / "shrink.log";
  pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    ::setpgid(0, 0);
    ::execl("/bin/sh", "sh", "-c",
            ("exec env " + env + faultline + " shrink '" + run.string() + "' --runs 3 --keep 2 --budget 20m > '" +
             log.string() + "' 2>&1")
                .c_str(),
            static_cast<char*>(nullptr));
    ::_exit(127);
  }
  // Wait for a kept candidate, then for the next rerun to be under way.
  const fs::path work = run / "shrink";
  json kept;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::minutes(8);
  while (kept.is_null() && std::chrono::steady_clock::now() < deadline) {
    for (const auto& step : lines_of(work / "steps.jsonl"))
      if (step.value("accepted", false)) kept = step;
    if (::waitpid(pid, &status, WNOHANG) == pid) FAIL() << "shrink ended before keeping a candidate: " << read(log);
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
  ASSERT_FALSE(kept.is_null()) << "no candidate kept within 8 minutes: " << read(log);
  std::this_thread::sleep_for(std::chrono::seconds(6));
  ASSERT_EQ(::kill(pid, SIGINT), 0);
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  const std::string text = read(log);
  ASSERT_TRUE(WIFEXITED(status)) << text;
  EXPECT_EQ(WEXITSTATUS(status), 2) << text;
  EXPECT_NE(text.find("interrupted"), std::string::npos) << text;

  // shrunk.yaml and summary.json hold the kept candidate (or a later one, if
  // another was kept before the signal), unconfirmed.
  json last_kept;
  for (const auto& step : lines_of(work / "steps.jsonl"))
    if (step.value("accepted", false)) last_kept = step;
  auto summary = json::parse(read(work / "summary.json"), nullptr, false);
  ASSERT_TRUE(summary.is_object()) << text;
  EXPECT_TRUE(summary.value("interrupted", false));
  EXPECT_FALSE(summary["confirmation"].value("ran", true));
  ASSERT_EQ(summary["shrunk_faults"].size(), last_kept["faults"].get<std::size_t>());
  const std::string yaml = read(work / "shrunk.yaml");
  std::size_t ats = 0;
  for (std::size_t at = yaml.find("- at: "); at != std::string::npos; at = yaml.find("- at: ", at + 1)) ++ats;
  EXPECT_EQ(ats, last_kept["faults"].get<std::size_t>()) << yaml;
  for (const auto& f : summary["shrunk_faults"]) EXPECT_NE(yaml.find("# " + f.value("id", std::string("?"))), std::string::npos) << yaml;
  EXPECT_NE(yaml.find("shrunk_from"), std::string::npos) << yaml;

  // Nothing left behind (processes get a moment to be reaped).
  std::set<std::string> extra;
  for (int i = 0; i < 20; ++i) {
    extra.clear();
    for (const auto& l : leftovers(scratch.dir))
      if (!before.count(l)) extra.insert(l);
    if (extra.empty()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
  for (const auto& l : extra) ADD_FAILURE() << "left behind: " << l;
  std::printf("kept %zu of %zu faults before Ctrl-C; shrink exited %d\n", last_kept["faults"].get<std::size_t>(),
              json::parse(read(run / "results.json"), nullptr, false)["faults"].size(), WEXITSTATUS(status));
}

}  // namespace
