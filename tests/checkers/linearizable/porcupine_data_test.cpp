// Verdicts on Porcupine's own test data equal the ones Porcupine's tests
// expect: the kv histories c01/c10/c50 ok/bad (read as EDN, kv model) and the
// Jepsen etcd logs (read as Jepsen logs, cas-register from nil), whose
// expected verdicts are taken from Porcupine's porcupine_test.go
// (checkJepsen(t, N, true|false)). The data comes from the Porcupine module
// pinned in bench/linearizable/porcupine/go.mod, fetched through the Go module
// proxy with `go mod download`; without a Go toolchain the test is skipped.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "checkers/history/reader.h"
#include "checkers/linearizable/linearizable_checker.h"

namespace faultline::checkers {
namespace {

namespace fs = std::filesystem;

std::string go_binary() {
  for (const char* dir : {"/usr/local/go/bin", "/usr/lib/go/bin", "/usr/bin"})
    if (fs::exists(fs::path(dir) / "go")) return (fs::path(dir) / "go").string();
  return "";
}

// The module's folder in the Go module cache, or "" with `why` set.
std::string porcupine_dir(std::string& why) {
  const std::string go = go_binary();
  if (go.empty()) {
    why = "no Go toolchain (go) to fetch the Porcupine module";
    return "";
  }
  const std::string cmd = "cd '" FAULTLINE_ROOT "/bench/linearizable/porcupine' && '" + go +
                          "' mod download -json github.com/anishathalye/porcupine 2>&1";
  FILE* pipe = popen(cmd.c_str(), "r");
  if (!pipe) {
    why = "popen failed";
    return "";
  }
  std::string out;
  char buf[4096];
  while (std::size_t n = fread(buf, 1, sizeof buf, pipe)) out.append(buf, n);
  const int status = pclose(pipe);
  auto j = nlohmann::json::parse(out, nullptr, false);
  if (status != 0 || j.is_discarded() || !j.contains("Dir")) {
    why = "go mod download failed: " + out;
    return "";
  }
  return j["Dir"].get<std::string>();
}

Validity check(const std::string& path, const std::string& model, const nlohmann::json& initial) {
  auto history = history::read_history_file(path);
  EXPECT_TRUE(history.ok()) << history.error().message;
  if (!history.ok()) return Validity::kUnknown;
  CheckOptions options;
  options.model = model;
  options.initial = initial;
  auto r = make_linearizable_checker()->check(*history, options);
  EXPECT_TRUE(r.ok()) << r.error().message;
  return r.ok() ? r->valid : Validity::kUnknown;
}

class PorcupineData : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string why;
    dir_ = porcupine_dir(why);
    if (dir_.empty() && go_binary().empty()) GTEST_SKIP() << why;
    ASSERT_FALSE(dir_.empty()) << why;
  }
  std::string dir_;
};

TEST_F(PorcupineData, KvHistories) {
  for (const char* name : {"c01-ok", "c01-bad", "c10-ok", "c10-bad", "c50-ok", "c50-bad"}) {
    SCOPED_TRACE(name);
    const bool ok = std::string(name).ends_with("-ok");
    EXPECT_EQ(check(dir_ + "/test_data/kv/" + name + ".txt", "kv", ""), ok ? Validity::kValid : Validity::kInvalid);
  }
}

TEST_F(PorcupineData, EtcdJepsenLogs) {
  std::ifstream in(dir_ + "/porcupine_test.go");
  std::stringstream text;
  text << in.rdbuf();
  const std::string source = text.str();
  const std::regex expectation(R"(checkJepsen\(t, (\d+), (true|false)\))");
  std::size_t checked = 0;
  for (std::sregex_iterator it(source.begin(), source.end(), expectation), end; it != end; ++it) {
    char file[64];
    std::snprintf(file, sizeof file, "/test_data/jepsen/etcd_%03d.log", std::stoi((*it)[1]));
    SCOPED_TRACE(file);
    const bool linearizable = (*it)[2] == "true";
    EXPECT_EQ(check(dir_ + file, "cas-register", nullptr), linearizable ? Validity::kValid : Validity::kInvalid);
    ++checked;
  }
  EXPECT_EQ(checked, 102u) << "Porcupine's tests changed: update this test";
}

}  // namespace
}  // namespace faultline::checkers
