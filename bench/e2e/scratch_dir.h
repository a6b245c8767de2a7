// ScratchDir: the bench's private directory, /tmp/faultline-e2e-bench-<pid>
// (mode 0700), and the guarantee that nothing started from it outlives the
// bench.
//
// Contract: create() makes the directory (removing a stale one of the same
// name). The destructor SIGKILLs every process whose command line names a
// path inside it (sshd, ssh masters, agents started through SSH that run
// in their own session) and removes it. remove_leftovers() does the same
// for directories of bench processes that died without cleaning up (their
// pid is gone), and removes their /dev/shm/faultline-e2e-bench-<pid> too.
// Needs root to kill processes it did not start itself.
#pragma once

#include <filesystem>

namespace faultline::bench {

class ScratchDir {
 public:
  static ScratchDir create();
  static void remove_leftovers();
  ~ScratchDir();
  ScratchDir(ScratchDir&& other) noexcept : path_(std::move(other.path_)) { other.path_.clear(); }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;

  const std::filesystem::path& path() const { return path_; }

 private:
  explicit ScratchDir(std::filesystem::path path) : path_(std::move(path)) {}
  std::filesystem::path path_;
};

// SIGKILLs every process (but this one) whose command line names a path under dir.
void kill_processes_naming(const std::filesystem::path& dir);

}  // namespace faultline::bench
