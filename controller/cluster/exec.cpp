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

#include "common/process/launch.h"

namespace faultline::controller {
namespace {

std::string join(const std::vector<std::string>& argv) {
  std::string out;
  for (const auto& a : argv) out += (out.empty() ? "" : " ") + a;
  return out;
}

}  // namespace

Result<std::string> run_command(const std::vector<std::string>& argv) {
  if (argv.empty()) return invalid_input("empty command");
  process::LaunchOptions options;
  options.argv = argv;
  options.out = process::Stream::capture();
  options.err = process::Stream::capture();
  auto finished = process::run(options);
  if (!finished) return io_error(fmt::format("cannot start '{}': {}", join(argv), finished.error().message));
  std::string output = finished->out + finished->err;
  if (finished->exit_code != 0) {
    while (!output.empty() && (output.back() == '\n' || output.back() == ' ')) output.pop_back();
    return io_error(fmt::format("'{}' failed ({}): {}", join(argv),
                                finished->exit_code > 128 ? "killed" : fmt::format("exit {}", finished->exit_code),
                                output));
  }
  return output;
}

Result<pid_t> spawn_daemon(const std::vector<std::string>& argv, const std::filesystem::path& log,
                           const std::string& netns) {
  if (argv.empty()) return invalid_input("empty command");
  int netns_fd = -1;
  if (!netns.empty()) {
    netns_fd = ::open(("/run/netns/" + netns).c_str(), O_RDONLY | O_CLOEXEC);
    if (netns_fd < 0) return io_error(fmt::format("cannot start '{}': open netns {}: {}", join(argv), netns, std::strerror(errno)));
  }
  process::LaunchOptions options;
  options.argv = argv;
  options.group = process::Group::kNewSession;
  options.out = process::Stream::append_to(log);
  options.err = process::Stream::append_to(log);
  if (netns_fd >= 0) options.exec_setup = [netns_fd] { return ::setns(netns_fd, CLONE_NEWNET) == 0 ? 0 : errno; };
  auto child = process::start(options);
  if (netns_fd >= 0) ::close(netns_fd);
  if (!child) return io_error(fmt::format("cannot start '{}': {}", join(argv), child.error().message));
  return child->pid();
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
