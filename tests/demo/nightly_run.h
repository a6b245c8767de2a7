// What the replay and shrink tests share: where the programs and the nightly
// suite are, whether a real run can happen here, and a scratch directory
// removed when the test ends.
#pragma once

#include <unistd.h>

#include <filesystem>
#include <string>

namespace faultline::testing::demo {

inline const std::filesystem::path kBin = FAULTLINE_BIN_DIR;
inline const std::filesystem::path kSuite =
    std::filesystem::path(FAULTLINE_SOURCE_DIR) / "examples" / "suites" / "nightly.yaml";

// Root, and the controller and agent built.
inline bool can_run() {
  return ::geteuid() == 0 && std::filesystem::exists(kBin / "faultline") &&
         std::filesystem::exists(kBin / "faultline-agent");
}

// <tmp>/<prefix>-<pid>, made empty now and removed at the end.
struct Scratch {
  explicit Scratch(const std::string& prefix)
      : dir(std::filesystem::temp_directory_path() / (prefix + "-" + std::to_string(::getpid()))) {
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
  }
  ~Scratch() {
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
  std::filesystem::path dir;
};

}  // namespace faultline::testing::demo
