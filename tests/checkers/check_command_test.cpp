// `faultline check` run as a user runs it: the built binary on the
// hand-written histories, producing every exit code of docs/design.md.
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace {

const std::string kData = FAULTLINE_CHECKERS_DATA;

struct Run {
  int code = -1;
  std::string out;
  std::string err;
};

// Runs `faultline check ARGS` with stdout to `stdout_to` (a file by default).
Run check(const std::string& args, const std::string& stdout_to = "") {
  const std::string tag = std::to_string(getpid());
  const std::string out_file = "/tmp/faultline-check-test-" + tag + ".out";
  const std::string err_file = "/tmp/faultline-check-test-" + tag + ".err";
  const std::string cmd = std::string(FAULTLINE_BIN) + " check " + args + " >" +
                          (stdout_to.empty() ? out_file : stdout_to) + " 2>" + err_file;
  Run r;
  int status = std::system(cmd.c_str());
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  auto slurp = [](const std::string& path) {
    std::ifstream in(path);
    return std::string(std::istreambuf_iterator<char>(in), {});
  };
  r.out = slurp(out_file);
  r.err = slurp(err_file);
  std::remove(out_file.c_str());
  std::remove(err_file.c_str());
  return r;
}

std::string data(const std::string& name) { return kData + "/" + name; }

TEST(CheckCommand, ValidHistoryExitsZero) {
  auto r = check(data("breaker_ok.jsonl") + " --config " + data("config.yaml"));
  EXPECT_EQ(r.code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("verdict: valid"), std::string::npos) << r.out;
  // JSON config file too, with --checker naming two checkers
  r = check(data("retry_ok.jsonl") + " --config " + data("config.json") + " --checker retry --checker breaker");
  EXPECT_EQ(r.code, 0) << r.out << r.err;
}

TEST(CheckCommand, InvalidHistoryExitsOneAndNamesTheProperty) {
  auto r = check(data("breaker_unlimited_half_open.jsonl") + " --config " + data("config.yaml"));
  EXPECT_EQ(r.code, 1) << r.out << r.err;
  EXPECT_NE(r.out.find("breaker: INVALID"), std::string::npos) << r.out;
  r = check(data("detector_completeness_fail.jsonl") + " --config " + data("config.yaml"));
  EXPECT_EQ(r.code, 1) << r.out << r.err;
  EXPECT_NE(r.out.find("completeness: n2 did not declare n3 dead"), std::string::npos) << r.out;
}

TEST(CheckCommand, JsonOutputHasTheDesignShape) {
  auto r = check(data("retry_no_cap.jsonl") + " --config " + data("config.yaml") + " --json");
  ASSERT_EQ(r.code, 1) << r.err;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["valid"], false);
  ASSERT_TRUE(j["checkers"].contains("retry"));
  EXPECT_EQ(j["checkers"]["retry"]["valid"], false);
  EXPECT_EQ(j["checkers"]["retry"]["violations"][0]["rule"], "delay_bounds");
  EXPECT_EQ(j["checkers"]["retry"]["violations"][0]["line"], 11);
}

TEST(CheckCommand, TimeoutMakesTheVerdictUnknownExitTwo) {
  auto r = check(data("detector_ok.jsonl") + " --config " + data("config.yaml") + " --timeout 1ns --json");
  EXPECT_EQ(r.code, 2) << r.out << r.err;
  EXPECT_EQ(nlohmann::json::parse(r.out)["valid"], "unknown");
}

TEST(CheckCommand, NothingToCheckIsUnknownExitTwo) {
  // A history with no checker events at all.
  const std::string path = "/tmp/faultline-check-empty-" + std::to_string(getpid()) + ".jsonl";
  { std::ofstream(path) << "{\"time\":0,\"type\":\"cluster\",\"nodes\":[\"n1\"]}\n"; }
  auto r = check(path + " --json");
  std::remove(path.c_str());
  EXPECT_EQ(r.code, 2) << r.out << r.err;
  EXPECT_EQ(nlohmann::json::parse(r.out)["valid"], "unknown");
}

// No silent defaults: a checker whose section is missing is unknown (exit 2)
// and says why, rather than judging the history against made-up settings.
TEST(CheckCommand, CheckerWithoutASectionIsUnknownAndSaysWhy) {
  for (const std::string history : {"breaker_ok.jsonl", "retry_ok.jsonl"}) {
    auto r = check(data(history) + " --config " + data("config_detector_only.yaml"));
    EXPECT_EQ(r.code, 2) << history << "\n" << r.out << r.err;
    EXPECT_NE(r.out.find("no policy configured"), std::string::npos) << r.out;
    r = check(data(history) + " --config " + data("config_detector_only.yaml") + " --json");
    EXPECT_EQ(r.code, 2) << r.out << r.err;
    auto j = nlohmann::json::parse(r.out);
    EXPECT_EQ(j["valid"], "unknown");
    const std::string name = history.substr(0, history.find('_'));
    EXPECT_EQ(j["checkers"][name]["valid"], "unknown") << r.out;
    EXPECT_NE(j["checkers"][name]["reason"].get<std::string>().find(name + "` section naming a profile"), std::string::npos)
        << r.out;
  }
  // Without --config at all, the same.
  auto r = check(data("breaker_ok.jsonl"));
  EXPECT_EQ(r.code, 2) << r.out << r.err;
  EXPECT_NE(r.out.find("breaker: unknown (no policy configured"), std::string::npos) << r.out;
}

TEST(CheckCommand, BadInputExits254WithFileLineAndReason) {
  auto r = check(data("bad_history.jsonl"));
  EXPECT_EQ(r.code, 254);
  EXPECT_NE(r.err.find("bad_history.jsonl:2: missing field \"permitted\""), std::string::npos) << r.err;

  r = check(data("breaker_ok.jsonl") + " --config " + data("config_bad_field.yaml"));
  EXPECT_EQ(r.code, 254);
  EXPECT_NE(r.err.find("config_bad_field.yaml:4:"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("failure_treshold"), std::string::npos) << r.err;

  r = check(data("breaker_ok.jsonl") + " --checker nonsense");
  EXPECT_EQ(r.code, 254);
  EXPECT_NE(r.err.find("unknown checker \"nonsense\""), std::string::npos) << r.err;

  r = check(data("no-such-history.jsonl"));
  EXPECT_EQ(r.code, 254);
  EXPECT_NE(r.err.find("no-such-history.jsonl"), std::string::npos) << r.err;

  r = check(data("breaker_ok.jsonl") + " --timeout soon");
  EXPECT_EQ(r.code, 254) << r.err;

  r = check("");  // HISTORY is required
  EXPECT_EQ(r.code, 254) << r.err;
}

TEST(CheckCommand, UnwritableVerdictIsAnInternalError255) {
  // stdout on /dev/full: the verdict cannot be written, which is neither a
  // verdict nor bad input.
  auto r = check(data("breaker_ok.jsonl") + " --config " + data("config.yaml"), "/dev/full");
  EXPECT_EQ(r.code, 255) << r.err;
  EXPECT_NE(r.err.find("cannot write the verdict"), std::string::npos) << r.err;
}

}  // namespace

namespace {

// Issue 16: per pair, the SUT's figures beside the reference envelope, in
// text and --json, on a recorded hashicorp/memberlist history.
TEST(CheckCommand, DetectorPrintsTheReferenceEnvelopePerPair) {
  const std::string history = kData + "/../recorded/memberlist/run2.jsonl";
  auto r = check(history + " --checker detector --config " + data("config_memberlist.yaml"));
  EXPECT_EQ(r.code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("against the reference memberlist-lan replayed 64 times"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("per pair (SUT | reference | allowed | verdict):"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("detection at"), std::string::npos) << r.out;
  r = check(history + " --checker detector --config " + data("config_memberlist.yaml") + " --json");
  EXPECT_EQ(r.code, 0) << r.err;
  auto j = nlohmann::json::parse(r.out, nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << r.out;
  const auto& d = j["checkers"]["detector"];
  EXPECT_EQ(d["reference"]["profile"], "memberlist-lan");
  EXPECT_EQ(d["reference"]["knobs"]["probe_interval"], "1s");
  ASSERT_FALSE(d["envelope"].empty());
  const auto& row = d["envelope"][0];
  for (const char* k : {"observer", "subject", "what", "at", "sut", "reference", "verdict"}) EXPECT_TRUE(row.contains(k)) << k << row;
  r = check(history + " --checker detector --config " + data("config_memberlist_fast.yaml"));
  EXPECT_EQ(r.code, 1) << r.out << r.err;
  EXPECT_NE(r.out.find("completeness"), std::string::npos) << r.out;
}

}  // namespace
