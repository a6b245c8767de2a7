// launch: the one way faultline starts another program (Boost.Process v2).
//
// Every process faultline starts — the agent's SUT, a command run inside a
// node, the controller's clients and provider commands, the mechanisms'
// helper tools — goes through here, so signals, process groups, output
// capture and timeouts behave the same everywhere.
//
// Contract:
//  - argv[0] without a '/' is looked up in PATH (the child's PATH if `env`
//    sets one). The child gets this process's environment plus `env`, the
//    working directory `working_dir` (empty: ours), all signals unblocked
//    and default dispositions for SIGPIPE, and no file descriptor of ours
//    but its three standard streams (as `in`/`out`/`err` say).
//  - group: kSame, or a new process group (pgid = pid; a terminal's Ctrl-C
//    then reaches only us), or a new session (it also outlives our
//    process group's fate, e.g. a killed agent). parent_death_signal: sent
//    to the child when the thread that launched it dies (0: none).
//    exec_setup runs in the child just before exec; it may only make
//    async-signal-safe calls and returns 0 or an errno (then exec is not
//    attempted and the launch fails with that error).
//  - A program that cannot be started (missing, not executable, a failed
//    exec_setup) is an Error (kNotFound for a missing program), never a
//    child that silently exits 127.
//  - run() waits for the child, feeding `input` to its stdin when
//    in = kInput, capturing what out/err = kCapture collect (at most
//    `capture_limit` bytes each, the rest read and dropped). With a timeout
//    (> 0) the child — its whole process group when it has its own — gets
//    SIGKILL at the deadline and Finished.timed_out is set. exit_code is
//    the exit status, or 128 + the signal number for a child killed by one.
//  - start() returns a running Child the caller owns: wait(), signal()
//    (the group when it has its own), and a destructor that leaves the
//    process running (it is reaped by whoever waits for it).
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <filesystem>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "common/result.h"
#include "common/units.h"

namespace faultline::process {

struct Stream {
  enum class Kind { kInherit, kNull, kCapture, kAppendFile, kFd, kInput };
  Kind kind = Kind::kInherit;
  std::filesystem::path file;  // kAppendFile
  int fd = -1;                 // kFd: dup'ed onto the stream (we keep ours)

  static Stream inherit() { return {}; }
  static Stream null() { return {Kind::kNull, {}, -1}; }
  static Stream capture() { return {Kind::kCapture, {}, -1}; }
  static Stream input() { return {Kind::kInput, {}, -1}; }
  static Stream append_to(std::filesystem::path path) { return {Kind::kAppendFile, std::move(path), -1}; }
  static Stream to_fd(int fd) { return {Kind::kFd, {}, fd}; }
};

enum class Group { kSame, kNewGroup, kNewSession };

struct LaunchOptions {
  std::vector<std::string> argv;
  std::map<std::string, std::string> env;
  std::filesystem::path working_dir;
  Group group = Group::kSame;
  int parent_death_signal = 0;
  std::function<int()> exec_setup;
  Stream in = Stream::null();
  Stream out = Stream::inherit();
  Stream err = Stream::inherit();
  std::string input;                       // with in = kInput
  std::size_t capture_limit = 1 << 20;     // bytes kept per captured stream
};

struct Finished {
  int exit_code = -1;
  bool timed_out = false;
  std::string out;
  std::string err;
};

Result<Finished> run(const LaunchOptions& options, Nanos timeout = 0);

class Child {
 public:
  Child() = default;
  explicit Child(pid_t pid, bool own_group) : pid_(pid), own_group_(own_group) {}
  pid_t pid() const { return pid_; }
  // Blocks until it exits; the exit code as run() reports it. Reaps it.
  int wait();
  // With a timeout: std::nullopt-like -1 when still running at the deadline.
  Result<int> wait_for(Nanos timeout);
  void signal(int signo) const;

 private:
  pid_t pid_ = -1;
  bool own_group_ = false;
};

Result<Child> start(const LaunchOptions& options);

// The exit code run() and Child report for a raw wait status.
int exit_code_of(int wait_status);

}  // namespace faultline::process
