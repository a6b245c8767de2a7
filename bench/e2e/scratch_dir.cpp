#include "bench/e2e/scratch_dir.h"

#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <string>

namespace faultline::bench {
namespace fs = std::filesystem;

namespace {
const std::string kPrefix = "faultline-e2e-bench-";
}

void kill_processes_naming(const fs::path& dir) {
  if (dir.empty()) return;
  std::error_code ec;
  const std::string needle = dir.string() + "/";
  for (const auto& proc : fs::directory_iterator("/proc", ec)) {
    const auto pid = std::atol(proc.path().filename().c_str());
    if (pid <= 0 || pid == ::getpid()) continue;
    std::ifstream in(proc.path() / "cmdline");
    std::string cmdline((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (cmdline.find(needle) != std::string::npos) ::kill(static_cast<pid_t>(pid), SIGKILL);
  }
}

ScratchDir ScratchDir::create() {
  fs::path path = fs::path("/tmp") / (kPrefix + std::to_string(::getpid()));
  std::error_code ec;
  fs::remove_all(path, ec);
  fs::create_directories(path);
  fs::permissions(path, fs::perms::owner_all);
  return ScratchDir(path);
}

void ScratchDir::remove_leftovers() {
  std::error_code ec;
  for (const char* parent : {"/tmp", "/dev/shm"}) {
    for (const auto& entry : fs::directory_iterator(parent, ec)) {
      const auto name = entry.path().filename().string();
      if (name.rfind(kPrefix, 0) != 0) continue;
      const pid_t owner = static_cast<pid_t>(std::atol(name.c_str() + kPrefix.size()));
      if (owner <= 0 || ::kill(owner, 0) == 0 || errno != ESRCH) continue;
      kill_processes_naming(entry.path());
      fs::remove_all(entry.path(), ec);
    }
  }
}

ScratchDir::~ScratchDir() {
  if (path_.empty()) return;
  kill_processes_naming(path_);
  std::error_code ec;
  fs::remove_all(path_, ec);
}

}  // namespace faultline::bench
