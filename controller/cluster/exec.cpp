#include "controller/cluster/exec.h"

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <thread>

#include <fcntl.h>
#include <sched.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>

namespace faultline::controller {
namespace {

std::string join(const std::vector<std::string>& argv) {
  std::string out;
  for (const auto& a : argv) out += (out.empty() ? "" : " ") + a;
  return out;
}

std::vector<char*> c_argv(const std::vector<std::string>& argv) {
  std::vector<char*> out;
  for (const auto& a : argv) out.push_back(const_cast<char*>(a.c_str()));
  out.push_back(nullptr);
  return out;
}

}  // namespace

Result<std::string> run_command(const std::vector<std::string>& argv) {
  if (argv.empty()) return invalid_input("empty command");
  int pipefd[2];
  if (::pipe2(pipefd, O_CLOEXEC) != 0) return io_error(fmt::format("pipe: {}", std::strerror(errno)));
  auto args = c_argv(argv);
  pid_t pid = ::fork();
  if (pid < 0) {
    ::close(pipefd[0]);
    ::close(pipefd[1]);
    return io_error(fmt::format("fork: {}", std::strerror(errno)));
  }
  if (pid == 0) {
    ::dup2(pipefd[1], 1);
    ::dup2(pipefd[1], 2);
    int devnull = ::open("/dev/null", O_RDONLY);
    if (devnull >= 0) ::dup2(devnull, 0);
    ::execvp(args[0], args.data());
    const char* msg = "exec failed\n";
    (void)!::write(2, msg, std::strlen(msg));
    ::_exit(127);
  }
  ::close(pipefd[1]);
  std::string output;
  char buffer[4096];
  ssize_t n;
  while ((n = ::read(pipefd[0], buffer, sizeof buffer)) > 0 || (n < 0 && errno == EINTR))
    if (n > 0) output.append(buffer, static_cast<std::size_t>(n));
  ::close(pipefd[0]);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    while (!output.empty() && (output.back() == '\n' || output.back() == ' ')) output.pop_back();
    return io_error(fmt::format("'{}' failed ({}): {}", join(argv),
                                WIFEXITED(status) ? fmt::format("exit {}", WEXITSTATUS(status)) : "killed", output));
  }
  return output;
}

Result<pid_t> spawn_daemon(const std::vector<std::string>& argv, const std::filesystem::path& log,
                           const std::string& netns) {
  if (argv.empty()) return invalid_input("empty command");
  int errpipe[2];
  if (::pipe2(errpipe, O_CLOEXEC) != 0) return io_error(fmt::format("pipe: {}", std::strerror(errno)));
  auto args = c_argv(argv);
  std::string netns_path = netns.empty() ? "" : "/run/netns/" + netns;
  std::string log_path = log.string();
  pid_t pid = ::fork();
  if (pid < 0) return io_error(fmt::format("fork: {}", std::strerror(errno)));
  if (pid == 0) {
    auto fail = [&](const char* what) {
      int e = errno;
      (void)!::write(errpipe[1], what, std::strlen(what));
      (void)!::write(errpipe[1], ": ", 2);
      const char* s = std::strerror(e);
      (void)!::write(errpipe[1], s, std::strlen(s));
      ::_exit(127);
    };
    ::setsid();
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    if (!netns_path.empty()) {
      int fd = ::open(netns_path.c_str(), O_RDONLY | O_CLOEXEC);
      if (fd < 0) fail("open netns");
      if (::setns(fd, CLONE_NEWNET) != 0) fail("setns");
    }
    int out = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (out < 0) fail("open log");
    int devnull = ::open("/dev/null", O_RDONLY);
    if (devnull >= 0) ::dup2(devnull, 0);
    ::dup2(out, 1);
    ::dup2(out, 2);
    ::execv(args[0], args.data());
    fail("exec");
  }
  ::close(errpipe[1]);
  std::string error;
  char buffer[512];
  ssize_t n;
  while ((n = ::read(errpipe[0], buffer, sizeof buffer)) > 0) error.append(buffer, static_cast<std::size_t>(n));
  ::close(errpipe[0]);
  if (!error.empty()) {
    ::waitpid(pid, nullptr, 0);
    return io_error(fmt::format("cannot start '{}': {}", join(argv), error));
  }
  return pid;
}

bool process_alive(pid_t pid) {
  if (pid <= 0) return false;
  int status = 0;
  pid_t r = ::waitpid(pid, &status, WNOHANG);
  if (r == pid) return false;  // our child, now reaped
  if (::kill(pid, 0) != 0) return false;
  // A zombie has exited: only its parent's wait() is missing, which for a
  // daemon reparented to init can take a while (some inits reap once a
  // second) and is nothing we wait for.
  char path[32];
  std::snprintf(path, sizeof path, "/proc/%d/stat", static_cast<int>(pid));
  std::FILE* f = std::fopen(path, "r");
  if (!f) return false;
  char buffer[512];
  const std::size_t n = std::fread(buffer, 1, sizeof buffer - 1, f);
  std::fclose(f);
  buffer[n] = '\0';
  const char* paren = std::strrchr(buffer, ')');  // "pid (comm) S ...": comm may hold spaces and parens
  return !(paren && paren[1] == ' ' && (paren[2] == 'Z' || paren[2] == 'X'));
}

void stop_process(pid_t pid, Nanos grace) {
  if (!process_alive(pid)) return;
  ::kill(pid, SIGTERM);
  Nanos deadline = monotonic_now() + grace;
  while (monotonic_now() < deadline) {
    if (!process_alive(pid)) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ::kill(pid, SIGKILL);
  for (int i = 0; i < 100 && process_alive(pid); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
}

}  // namespace faultline::controller
