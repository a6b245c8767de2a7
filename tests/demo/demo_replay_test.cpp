// `faultline run --replay` and `faultline shrink`'s refusals against the demo
// node on the local provider (integration: root, namespaces, real faults).
// A short random schedule runs once; its replay must start and end every
// fault within 100 ms of the original (both relative to the SUT being up),
// with the same kinds, specs, targets and grudges, in results.json and in
// history.jsonl. The passing original is then refused by `faultline
// shrink` (exit 254), as is a directory without results.json.
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tests/demo/nightly_run.h"

namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;
constexpr long long kTolerance = 100'000'000;  // 100 ms

using namespace faultline::testing::demo;

struct Run {
  int exit_code = -1;
  std::string log;
  fs::path dir;  // the run directory (OUT/nightly/<time>)
  json results;
};

int shell(const std::string& cmd, const fs::path& log, std::string& text) {
  int status = std::system((cmd + " > '" + log.string() + "' 2>&1").c_str());
  std::ifstream in(log);
  text.assign(std::istreambuf_iterator<char>(in), {});
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

Run run(const fs::path& out, const std::string& extra) {
  Run r;
  std::string cmd = "FAULTLINE_DEMO_BIN='" + kBin.string() + "' '" + (kBin / "faultline").string() + "' run '" +
                    kSuite.string() + "' --set duration=14s --out '" + out.string() + "' " + extra;
  r.exit_code = shell(cmd, out.string() + ".log", r.log);
  std::error_code ec;
  r.dir = fs::canonical(out / "nightly" / "latest", ec);
  std::ifstream in(r.dir / "results.json");
  if (in) r.results = json::parse(in, nullptr, false);
  return r;
}

// Fault start and end lines of a history, by id: (start, end) in history time.
std::map<std::string, std::pair<long long, long long>> history_faults(const fs::path& file) {
  std::map<std::string, std::pair<long long, long long>> out;
  std::ifstream in(file);
  for (std::string line; std::getline(in, line);) {
    auto e = json::parse(line, nullptr, false);
    if (!e.is_object() || e.value("type", "") != "fault") continue;
    auto& slot = out[e.value("id", "")];
    (e.value("phase", "") == "start" ? slot.first : slot.second) = e.value("time", 0LL);
  }
  return out;
}

TEST(Replay, ReproducesTheFaultTimelineWithin100ms) {
  if (!can_run()) GTEST_SKIP() << "needs root and faultline, faultline-agent in " << kBin;
  Scratch scratch("demo-replay");
  auto original = run(scratch.dir / "original", "");
  ASSERT_TRUE(original.results.is_object()) << original.log;
  const auto& faults = original.results["faults"];
  ASSERT_GE(faults.size(), 2u) << "the short schedule should hold a few faults: " << original.log;

  auto replay = run(scratch.dir / "replay", "--replay '" + original.dir.string() + "'");
  ASSERT_TRUE(replay.results.is_object()) << replay.log;
  EXPECT_EQ(replay.results["replay_of"]["run"], original.dir.string());
  EXPECT_EQ(replay.results["seed"], original.results["seed"]);
  const auto& again = replay.results["faults"];
  ASSERT_EQ(again.size(), faults.size()) << replay.log;

  const long long zero = original.results["schedule_zero_ns"], zero2 = replay.results["schedule_zero_ns"];
  auto h1 = history_faults(original.dir / "history.jsonl"), h2 = history_faults(replay.dir / "history.jsonl");
  for (std::size_t i = 0; i < faults.size(); ++i) {
    const auto &a = faults[i], &b = again[i];
    SCOPED_TRACE(a.dump());
    EXPECT_EQ(b["id"], a["id"]);
    EXPECT_EQ(b["kind"], a["kind"]);
    EXPECT_EQ(b["spec"], a["spec"]);
    EXPECT_EQ(b["targets"], a["targets"]);
    EXPECT_EQ(b.value("grudge", json()), a.value("grudge", json()));
    const long long start = a["start"].get<long long>() - zero, start2 = b["start"].get<long long>() - zero2;
    const long long end = a["end"].get<long long>() - zero, end2 = b["end"].get<long long>() - zero2;
    EXPECT_LE(std::llabs(start2 - start), kTolerance) << "start " << start << " vs " << start2;
    EXPECT_LE(std::llabs(end2 - end), kTolerance) << "end " << end << " vs " << end2;
    // The histories say the same as results.json.
    const std::string id = a["id"];
    EXPECT_EQ(h1[id].first, a["start"].get<long long>());
    EXPECT_EQ(h2[id].first, b["start"].get<long long>());
    EXPECT_LE(std::llabs((h2[id].second - zero2) - (h1[id].second - zero)), kTolerance);
    std::printf("%s %s: start %+.1f ms, end %+.1f ms\n", id.c_str(), a["kind"].get<std::string>().c_str(),
                (start2 - start) / 1e6, (end2 - end) / 1e6);
  }

  // The original passed against the correct node: shrink refuses it.
  if (original.exit_code == 0) {
    std::string text;
    int code = shell("'" + (kBin / "faultline").string() + "' shrink '" + original.dir.string() + "'",
                     scratch.dir / "shrink.log", text);
    EXPECT_EQ(code, 254) << text;
    EXPECT_NE(text.find("the run passed"), std::string::npos) << text;
    EXPECT_FALSE(fs::exists(original.dir / "shrink")) << "a refused shrink writes nothing";
  }
}

TEST(Shrink, RefusesADirectoryWithoutResults) {
  if (!fs::exists(kBin / "faultline")) GTEST_SKIP() << "needs faultline in " << kBin;
  Scratch scratch("demo-replay");
  std::string text;
  int code = shell("'" + (kBin / "faultline").string() + "' shrink '" + scratch.dir.string() + "'",
                   scratch.dir / "shrink.log", text);
  EXPECT_EQ(code, 254) << text;
  EXPECT_NE(text.find("no results.json"), std::string::npos) << text;
}

}  // namespace
