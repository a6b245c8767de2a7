#include "controller/run/client_process.h"

#include <csignal>
#include <cerrno>
#include <cstring>
#include <ctime>

#include <fcntl.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>

namespace faultline::controller {
namespace {

void unblock_all_signals() {
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
}

}  // namespace

Result<SpawnedClient> spawn_client(const std::string& command, const std::filesystem::path& log) {
  int out[2];
  if (::pipe2(out, O_CLOEXEC) != 0) return io_error(fmt::format("pipe: {}", std::strerror(errno)));
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid < 0) {
    ::close(out[0]);
    ::close(out[1]);
    return io_error(fmt::format("fork: {}", std::strerror(errno)));
  }
  if (pid == 0) {
    // Only async-signal-safe calls from here to exec.
    ::setpgid(0, 0);
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(127);  // the controller is already gone
    unblock_all_signals();
    ::dup2(out[1], STDOUT_FILENO);
    int err = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (err >= 0) ::dup2(err, STDERR_FILENO);
    int devnull = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (devnull >= 0) ::dup2(devnull, STDIN_FILENO);
    ::execl("/bin/sh", "sh", "-c", command.c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  ::setpgid(pid, pid);  // also from here, so the group exists before we use it
  ::close(out[1]);
  ::fcntl(out[0], F_SETFL, ::fcntl(out[0], F_GETFL) | O_NONBLOCK);
  return SpawnedClient{pid, out[0]};
}

Result<Watchdog> spawn_watchdog(const std::vector<pid_t>& groups, Nanos grace) {
  int life[2];
  if (::pipe2(life, O_CLOEXEC) != 0) return io_error(fmt::format("pipe: {}", std::strerror(errno)));
  const pid_t pid = ::fork();
  if (pid < 0) {
    ::close(life[0]);
    ::close(life[1]);
    return io_error(fmt::format("fork: {}", std::strerror(errno)));
  }
  if (pid == 0) {
    ::setpgid(0, 0);
    ::signal(SIGINT, SIG_IGN);
    ::signal(SIGHUP, SIG_IGN);
    ::signal(SIGTERM, SIG_IGN);
    unblock_all_signals();
    // Hold nothing of the controller's but the lifeline's read end (not
    // its terminal or pipes either: a reader of the controller's output
    // must see it end when the controller does).
    ::dup2(life[0], 3);
    ::close_range(4, ~0U, 0);
    int devnull = ::open("/dev/null", O_RDWR);
    for (int fd = 0; fd <= 2 && devnull >= 0; ++fd) ::dup2(devnull, fd);
    if (devnull > 3) ::close(devnull);
    char byte;
    for (;;) {
      ssize_t n = ::read(3, &byte, 1);
      if (n == 0 || (n < 0 && errno != EINTR)) break;
    }
    for (pid_t g : groups) ::kill(-g, SIGTERM);
    struct timespec pause {static_cast<time_t>(grace / 1'000'000'000), static_cast<long>(grace % 1'000'000'000)};
    ::nanosleep(&pause, nullptr);
    for (pid_t g : groups) ::kill(-g, SIGKILL);
    ::_exit(0);
  }
  ::close(life[0]);
  return Watchdog{pid, life[1]};
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
