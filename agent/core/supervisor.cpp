#include "agent/core/supervisor.h"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <map>
#include <optional>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <spdlog/spdlog.h>

#include "common/process/launch.h"
#include "faults/clock/time_namespace.h"

extern char** environ;

namespace faultline::agent {

namespace {
std::string describe_status(int status) {
  if (WIFEXITED(status)) return fmt::format("exited with code {}", WEXITSTATUS(status));
  if (WIFSIGNALED(status)) return fmt::format("killed by signal {}", WTERMSIG(status));
  return fmt::format("wait status {}", status);
}

}  // namespace

std::filesystem::path find_clock_library(const std::filesystem::path& explicit_path) {
  if (!explicit_path.empty()) return std::filesystem::exists(explicit_path) ? explicit_path : std::filesystem::path();
  std::error_code ec;
  auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) return {};
  for (auto candidate : {exe.parent_path() / "libfaultline_clock.so", exe.parent_path() / ".." / "lib" / "libfaultline_clock.so"})
    if (std::filesystem::exists(candidate)) return std::filesystem::weakly_canonical(candidate);
  return {};
}

Supervisor::Supervisor(std::filesystem::path state_dir, std::filesystem::path clock_lib)
    : state_dir_(std::move(state_dir)), clock_lib_(std::move(clock_lib)) {}

Supervisor::~Supervisor() {
  std::unique_lock lock(mutex_);
  if (pid_ > 0) (void)stop_locked(2'000'000'000, lock);
  lock.unlock();
  if (waiter_.joinable()) waiter_.join();
}

Result<int> Supervisor::start(const SutSpec& sut) {
  std::unique_lock lock(mutex_);
  return start_locked(sut, /*restart=*/false, lock);
}

Result<int> Supervisor::start_locked(const SutSpec& sut, bool restart, std::unique_lock<std::mutex>& lock) {
  if (pid_ > 0) return invalid_input(fmt::format("the SUT is already running (pid {}); stop it first", pid_));
  if (sut.command.empty()) return invalid_input("sut: empty command");
  if (sut.per_process_clock && clock_lib_.empty())
    return unavailable("sut: per_process_clock needs libfaultline_clock.so (not found next to the agent, in ../lib, or via --clock-lib)");
  if (sut.monotonic_offset && !std::filesystem::exists("/proc/self/ns/time"))
    return unavailable("sut: monotonic_offset needs time namespaces (Linux 5.6+ with CONFIG_TIME_NS); /proc/self/ns/time is missing");
  if (waiter_.joinable()) {
    lock.unlock();
    waiter_.join();
    lock.lock();
    if (pid_ > 0) return invalid_input("the SUT was started concurrently");
  }

  std::map<std::string, std::string> env;
  for (char** e = environ; e && *e; ++e) {
    std::string_view entry(*e);
    auto eq = entry.find('=');
    if (eq == std::string_view::npos) continue;
    env[std::string(entry.substr(0, eq))] = std::string(entry.substr(eq + 1));
  }
  for (const auto& [k, v] : sut.env) env[k] = v;
  env["FAULTLINE_EVENTS"] = events_socket_path().string();
  const int run_start = restart ? run_starts_ + 1 : 1;
  env["FAULTLINE_START"] = std::to_string(run_start);
  env["FAULTLINE_RESTART"] = restart ? "1" : "0";
  if (sut.per_process_clock) {
    auto existing = env.find("LD_PRELOAD");
    env["LD_PRELOAD"] = clock_lib_.string() + (existing != env.end() && !existing->second.empty() ? ":" + existing->second : "");
    env["FAULTLINE_CLOCK_SHM"] = clock_shm_path().string();
  }
  std::optional<faults::clock::TimeNamespaceSetup> timens;
  if (sut.monotonic_offset) {
    auto setup = faults::clock::TimeNamespaceSetup::prepare({*sut.monotonic_offset, *sut.monotonic_offset});
    if (!setup) return setup.error().with_context("sut: monotonic_offset");
    timens = std::move(*setup);
  }
  process::LaunchOptions options;
  options.argv = sut.command;
  options.env = std::move(env);
  options.working_dir = sut.working_dir.empty() ? state_dir_ : std::filesystem::path(sut.working_dir);
  // Own session (and so own process group): when the agent dies, even by
  // kill -9, a paused SUT is not sent the orphaned-group SIGHUP and keeps
  // running (paused) until a restarted agent heals it.
  options.group = process::Group::kNewSession;
  options.in = process::Stream::null();
  options.out = process::Stream::append_to(stdout_path());
  options.err = process::Stream::append_to(stderr_path());
  if (timens) options.exec_setup = [&timens] { return timens->enter_in_child(); };
  auto started = process::start(options);
  if (!started) return started.error().with_context(fmt::format("sut: starting '{}'", sut.command[0]));
  const pid_t child = started->pid();
  const std::vector<std::string>& args = sut.command;
  pid_ = child;
  ++starts_;
  run_starts_ = run_start;
  spec_ = sut;
  last_status_.reset();
  waiter_ = std::thread([this, child] {
    int status = 0;
    while (::waitpid(child, &status, 0) < 0 && errno == EINTR) {
    }
    std::lock_guard guard(mutex_);
    if (pid_ == child) pid_ = -1;
    last_status_ = status;
    spdlog::info("SUT pid {} {}", child, describe_status(status));
    exited_.notify_all();
  });
  spdlog::info("SUT started, pid {}: {}", child, fmt::join(args, " "));
  return static_cast<int>(child);
}

Result<void> Supervisor::stop(Nanos grace) {
  std::unique_lock lock(mutex_);
  return stop_locked(grace, lock);
}

Result<void> Supervisor::stop_locked(Nanos grace, std::unique_lock<std::mutex>& lock) {
  if (pid_ <= 0) return ok_result();
  const int pid = pid_;
  ::kill(-pid, SIGTERM);
  ::kill(-pid, SIGCONT);
  if (!exited_.wait_for(lock, std::chrono::nanoseconds(grace), [&] { return pid_ != pid; })) {
    spdlog::warn("SUT pid {} did not exit within {} of SIGTERM; sending SIGKILL", pid, format_duration(grace));
    ::kill(-pid, SIGKILL);
    ::kill(pid, SIGKILL);
    if (!exited_.wait_for(lock, std::chrono::seconds(10), [&] { return pid_ != pid; }))
      return io_error(fmt::format("SUT pid {} survived SIGKILL for 10s", pid));
  }
  // Whatever else is left in its process group goes too.
  ::kill(-pid, SIGKILL);
  return ok_result();
}

bool Supervisor::running() const {
  std::lock_guard lock(mutex_);
  return pid_ > 0;
}

int Supervisor::pid() const {
  std::lock_guard lock(mutex_);
  return pid_;
}

Result<void> Supervisor::signal(int signo) {
  std::lock_guard lock(mutex_);
  if (pid_ <= 0) return Error{ErrorCode::kNotFound, "no SUT is running"};
  if (::kill(-pid_, signo) != 0 && ::kill(pid_, signo) != 0)
    return io_error(fmt::format("signal {} to SUT pid {}: {}", signo, pid_, std::strerror(errno)));
  return ok_result();
}

Result<void> Supervisor::restart() {
  std::unique_lock lock(mutex_);
  if (!spec_) return Error{ErrorCode::kNotFound, "no SUT was started, nothing to restart"};
  if (auto stopped = stop_locked(5'000'000'000, lock); !stopped) return stopped;
  auto spec = *spec_;
  auto started = start_locked(spec, /*restart=*/true, lock);
  if (!started) return started.error();
  return ok_result();
}

nlohmann::json Supervisor::status() const {
  std::lock_guard lock(mutex_);
  nlohmann::json out = {{"running", pid_ > 0},
                        {"pid", pid_},
                        {"starts", starts_},
                        {"stdout", stdout_path().string()},
                        {"stderr", stderr_path().string()}};
  if (last_status_) out["last_exit"] = describe_status(*last_status_);
  if (spec_) out["command"] = spec_->command;
  return out;
}

}  // namespace faultline::agent
