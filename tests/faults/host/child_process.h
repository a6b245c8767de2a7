// ChildProcess: a real child (fork/exec) with its stdin/stdout on pipes, and
// the faults::ProcessControl the process mechanisms drive, for tests.
//
// Contract: start() runs argv (PATH searched); ask() writes a line and
// returns the first line the child prints within the timeout, or nullopt
// (a paused or dead child does not answer). running() reaps the child when it
// has died; restart() starts argv again with fresh pipes. The destructor
// kills and reaps whatever is still running.
#pragma once

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "faults/mechanism.h"

namespace faultline::test {

class ChildProcess : public faults::ProcessControl {
 public:
  explicit ChildProcess(std::vector<std::string> argv, int nice_value = 0) : argv_(std::move(argv)), nice_(nice_value) {}
  // Extra environment for the child ("NAME" -> value); empty value unsets.
  void set_env(std::string name, std::string value) { env_.emplace_back(std::move(name), std::move(value)); }
  ~ChildProcess() override { stop(); }

  bool start() {
    ::signal(SIGPIPE, SIG_IGN);  // asking a dead child must not kill the test
    int in[2], out[2];
    if (::pipe2(in, O_CLOEXEC) != 0 || ::pipe2(out, O_CLOEXEC) != 0) return false;
    std::vector<char*> args;
    for (auto& a : argv_) args.push_back(a.data());
    args.push_back(nullptr);
    pid_t pid = ::fork();
    if (pid < 0) return false;
    if (pid == 0) {
      ::dup2(in[0], 0);
      ::dup2(out[1], 1);
      if (nice_ != 0) ::setpriority(PRIO_PROCESS, 0, nice_);
      for (const auto& [name, value] : env_) {
        if (value.empty()) ::unsetenv(name.c_str());
        else ::setenv(name.c_str(), value.c_str(), 1);
      }
      ::execvp(args[0], args.data());
      ::_exit(127);
    }
    ::close(in[0]);
    ::close(out[1]);
    pid_ = pid;
    to_child_ = in[1];
    from_child_ = out[0];
    buffer_.clear();
    return true;
  }

  void stop() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::kill(pid_, SIGCONT);
      int status;
      ::waitpid(pid_, &status, 0);
      pid_ = -1;
    }
    close_pipes();
  }

  std::optional<std::string> ask(const std::string& line, std::chrono::milliseconds timeout) {
    if (to_child_ < 0) return std::nullopt;
    std::string msg = line + "\n";
    if (::write(to_child_, msg.data(), msg.size()) != static_cast<ssize_t>(msg.size())) return std::nullopt;
    return read_line(timeout);
  }

  std::optional<std::string> read_line(std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      auto nl = buffer_.find('\n');
      if (nl != std::string::npos) {
        std::string out = buffer_.substr(0, nl);
        buffer_.erase(0, nl + 1);
        return out;
      }
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0 || from_child_ < 0) return std::nullopt;
      pollfd p{from_child_, POLLIN, 0};
      int r = ::poll(&p, 1, static_cast<int>(left.count()));
      if (r <= 0) continue;
      char chunk[4096];
      ssize_t n = ::read(from_child_, chunk, sizeof chunk);
      if (n <= 0) return std::nullopt;
      buffer_.append(chunk, static_cast<std::size_t>(n));
    }
  }

  // faults::ProcessControl
  bool running() const override {
    if (pid_ <= 0) return false;
    int status;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return false;
    }
    return true;
  }
  int pid() const override { return running() ? pid_ : -1; }
  Result<void> signal(int signo) override {
    if (!running()) return io_error("not running");
    if (::kill(pid_, signo) != 0) return io_error("kill failed");
    return ok_result();
  }
  Result<void> restart() override {
    stop();
    ++restarts_;
    if (!start()) return io_error("start failed");
    return ok_result();
  }
  int restarts() const { return restarts_; }

 private:
  void close_pipes() {
    if (to_child_ >= 0) ::close(to_child_);
    if (from_child_ >= 0) ::close(from_child_);
    to_child_ = from_child_ = -1;
  }
  std::vector<std::string> argv_;
  std::vector<std::pair<std::string, std::string>> env_;
  int nice_ = 0;
  mutable pid_t pid_ = -1;
  int to_child_ = -1, from_child_ = -1;
  std::string buffer_;
  int restarts_ = 0;
};

}  // namespace faultline::test
