#include "faults/net/command.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fmt/format.h>

extern char** environ;

namespace faultline::faults::net {
namespace {

struct Pipe {
  int fd[2] = {-1, -1};
  ~Pipe() { close_both(); }
  void close_end(int i) { if (fd[i] >= 0) { ::close(fd[i]); fd[i] = -1; } }
  void close_both() { close_end(0); close_end(1); }
};

}  // namespace

Result<CommandOutput> run_command(const std::vector<std::string>& argv, std::string_view stdin_data) {
  if (argv.empty()) return internal_error("run_command: empty argv");
  Pipe in, out, err;
  if (::pipe2(in.fd, O_CLOEXEC) != 0 || ::pipe2(out.fd, O_CLOEXEC) != 0 || ::pipe2(err.fd, O_CLOEXEC) != 0)
    return io_error(fmt::format("pipe: {}", std::strerror(errno)));

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, in.fd[0], 0);
  posix_spawn_file_actions_adddup2(&actions, out.fd[1], 1);
  posix_spawn_file_actions_adddup2(&actions, err.fd[1], 2);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t defaults;
  sigemptyset(&defaults);
  sigaddset(&defaults, SIGPIPE);
  posix_spawnattr_setsigdefault(&attr, &defaults);
  sigset_t none;
  sigemptyset(&none);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);

  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = -1;
  int rc = ::posix_spawnp(&pid, args[0], &actions, &attr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  if (rc != 0) return unavailable(fmt::format("cannot run {}: {}", argv[0], std::strerror(rc)));
  in.close_end(0);
  out.close_end(1);
  err.close_end(1);

  CommandOutput result;
  std::size_t written = 0;
  if (stdin_data.empty()) in.close_end(1);
  else ::fcntl(in.fd[1], F_SETFL, O_NONBLOCK);
  char buffer[8192];
  while (out.fd[0] >= 0 || err.fd[0] >= 0 || in.fd[1] >= 0) {
    pollfd fds[3];
    int n = 0;
    int idx_in = -1, idx_out = -1, idx_err = -1;
    if (in.fd[1] >= 0) { idx_in = n; fds[n++] = {in.fd[1], POLLOUT, 0}; }
    if (out.fd[0] >= 0) { idx_out = n; fds[n++] = {out.fd[0], POLLIN, 0}; }
    if (err.fd[0] >= 0) { idx_err = n; fds[n++] = {err.fd[0], POLLIN, 0}; }
    if (::poll(fds, n, -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    if (idx_in >= 0 && fds[idx_in].revents) {
      ssize_t w = ::write(in.fd[1], stdin_data.data() + written, stdin_data.size() - written);
      if (w > 0) written += static_cast<std::size_t>(w);
      if (w < 0 && errno != EAGAIN && errno != EINTR) written = stdin_data.size();
      if (written >= stdin_data.size()) in.close_end(1);
    }
    auto drain = [&](int idx, Pipe& pipe, std::string& sink) {
      if (idx < 0 || !fds[idx].revents) return;
      ssize_t r = ::read(pipe.fd[0], buffer, sizeof buffer);
      if (r > 0) sink.append(buffer, static_cast<std::size_t>(r));
      else if (r == 0 || (errno != EINTR && errno != EAGAIN)) pipe.close_end(0);
    };
    drain(idx_out, out, result.out);
    drain(idx_err, err, result.err);
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return result;
}

Result<CommandOutput> check_command(const std::vector<std::string>& argv, std::string_view stdin_data) {
  auto result = run_command(argv, stdin_data);
  if (!result) return result;
  if (result->exit_code != 0) {
    std::string err = result->err.empty() ? result->out : result->err;
    while (!err.empty() && (err.back() == '\n' || err.back() == ' ')) err.pop_back();
    return io_error(fmt::format("{} failed (exit {}): {}", argv[0], result->exit_code, err));
  }
  return result;
}

bool program_in_path(std::string_view name) {
  if (name.find('/') != std::string_view::npos) return ::access(std::string(name).c_str(), X_OK) == 0;
  const char* path = std::getenv("PATH");
  std::string dirs = path ? path : "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
  std::size_t start = 0;
  while (start <= dirs.size()) {
    auto end = dirs.find(':', start);
    if (end == std::string::npos) end = dirs.size();
    auto candidate = std::filesystem::path(dirs.substr(start, end - start)) / std::string(name);
    if (::access(candidate.c_str(), X_OK) == 0) return true;
    start = end + 1;
  }
  return false;
}

}  // namespace faultline::faults::net
