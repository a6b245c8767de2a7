#include "controller/run/client_process.h"

#include <csignal>
#include <cerrno>
#include <cstring>

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>

#include "common/process/launch.h"

namespace faultline::controller {

Result<SpawnedClient> spawn_client(const std::string& command, const std::filesystem::path& log) {
  int out[2];
  if (::pipe2(out, O_CLOEXEC) != 0) return io_error(fmt::format("pipe: {}", std::strerror(errno)));
  process::LaunchOptions options;
  options.argv = {"/bin/sh", "-c", command};
  options.group = process::Group::kNewGroup;
  options.parent_death_signal = SIGKILL;
  options.in = process::Stream::null();
  options.out = process::Stream::to_fd(out[1]);
  options.err = process::Stream::append_to(log);
  auto child = process::start(options);
  ::close(out[1]);
  if (!child) {
    ::close(out[0]);
    return child.error();
  }
  ::fcntl(out[0], F_SETFL, ::fcntl(out[0], F_GETFL) | O_NONBLOCK);
  return SpawnedClient{child->pid(), out[0]};
}

Result<Watchdog> spawn_watchdog(const std::vector<pid_t>& groups, Nanos grace) {
  int life[2];
  if (::pipe2(life, O_CLOEXEC) != 0) return io_error(fmt::format("pipe: {}", std::strerror(errno)));
  // A shell whose stdin is the lifeline: `read` returns at end of file, which
  // comes only when every holder of the write end — the controller — is gone.
  std::string targets;
  for (pid_t g : groups) targets += fmt::format(" -{}", g);
  std::string script = "trap '' INT TERM HUP; while read -r _; do :; done;";
  if (!targets.empty())
    script += fmt::format(" kill -TERM{} 2>/dev/null; sleep {:.3f}; kill -KILL{} 2>/dev/null", targets,
                          static_cast<double>(grace) / 1e9, targets);
  process::LaunchOptions options;
  options.argv = {"/bin/sh", "-c", script};
  options.group = process::Group::kNewGroup;
  options.in = process::Stream::to_fd(life[0]);
  options.out = process::Stream::null();
  options.err = process::Stream::null();
  auto child = process::start(options);
  ::close(life[0]);
  if (!child) {
    ::close(life[1]);
    return child.error();
  }
  return Watchdog{child->pid(), life[1]};
}

void stop_watchdog(Watchdog& watchdog) {
  if (watchdog.pid > 0) {
    ::kill(watchdog.pid, SIGKILL);
    int status = 0;
    while (::waitpid(watchdog.pid, &status, 0) < 0 && errno == EINTR) {
    }
  }
  if (watchdog.lifeline >= 0) ::close(watchdog.lifeline);
  watchdog = Watchdog{};
}

}  // namespace faultline::controller
