#include "common/process/launch.h"

#include <csignal>
#include <cerrno>
#include <cstring>

#include <fcntl.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <limits>
#include <type_traits>

// Boost 1.81's process/v2 headers use these without including them.
#include <boost/optional.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/readable_pipe.hpp>
#include <boost/asio/writable_pipe.hpp>
#include <boost/asio/write.hpp>
#include <boost/process/v2/process.hpp>
#include <boost/process/v2/start_dir.hpp>
#include <boost/process/v2/stdio.hpp>
#include <fmt/format.h>

extern char** environ;

namespace faultline::process {
namespace bp = boost::process::v2;
namespace asio = boost::asio;

namespace {

constexpr Nanos kDrainAfterExit = 200'000'000;  // output a child's children still hold open

// Runs in the child between fork and exec: async-signal-safe calls only.
struct ChildSetup {
  const LaunchOptions& options;
  pid_t parent;

  bp::error_code on_exec_setup(bp::posix::default_launcher&, const bp::filesystem::path&, const char* const*) const {
    // Boost 1.81 reports a failed setup to the parent through errno, not the
    // error code returned here, so every failure leaves errno set.
    auto failed = [] { return bp::error_code(errno, bp::system_category()); };
    auto fail_with = [](int e) {
      errno = e;
      return bp::error_code(e, bp::system_category());
    };
    if (options.group == Group::kNewGroup && ::setpgid(0, 0) != 0) return failed();
    if (options.group == Group::kNewSession && ::setsid() < 0) return failed();
    if (options.parent_death_signal != 0) {
      if (::prctl(PR_SET_PDEATHSIG, options.parent_death_signal) != 0) return failed();
      if (::getppid() != parent) return fail_with(ESRCH);  // already gone
    }
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    ::signal(SIGPIPE, SIG_DFL);
    if (options.exec_setup)
      if (int e = options.exec_setup(); e != 0) return fail_with(e);
    return {};
  }
};

// Hands the child its environment (environment.hpp of Boost 1.81 does not
// compile with GCC 12, so the launcher's envp is set directly).
struct ChildEnvironment {
  const char* const* envp;
  bp::error_code on_setup(bp::posix::default_launcher& launcher, const bp::filesystem::path&, const char* const*) const {
    launcher.env = envp;
    return {};
  }
};

std::map<std::string, std::string> environment_with(const std::map<std::string, std::string>& added) {
  std::map<std::string, std::string> env;
  for (char** e = environ; e && *e; ++e) {
    std::string_view entry(*e);
    auto eq = entry.find('=');
    if (eq != std::string_view::npos) env[std::string(entry.substr(0, eq))] = std::string(entry.substr(eq + 1));
  }
  for (const auto& [k, v] : added) env[k] = v;
  return env;
}

std::string find_program(const std::string& name, const std::map<std::string, std::string>& env) {
  if (name.find('/') != std::string::npos) return name;
  auto it = env.find("PATH");
  const std::string path = it != env.end() ? it->second : "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
  std::size_t start = 0;
  while (start <= path.size()) {
    auto end = path.find(':', start);
    auto dir = path.substr(start, end == std::string::npos ? std::string::npos : end - start);
    auto candidate = (dir.empty() ? std::string(".") : dir) + "/" + name;
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
    if (end == std::string::npos) break;
    start = end + 1;
  }
  return {};
}

// A file descriptor we opened for the child and close once it runs.
struct OwnedFd {
  int fd = -1;
  ~OwnedFd() {
    if (fd >= 0) ::close(fd);
  }
};

Result<int> open_append(const std::filesystem::path& file, OwnedFd& owned) {
  owned.fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (owned.fd < 0) return io_error(fmt::format("{}: {}", file.string(), std::strerror(errno)));
  return owned.fd;
}

int target_fd(const Stream& stream, int standard, OwnedFd& owned, Result<void>& problem) {
  switch (stream.kind) {
    case Stream::Kind::kInherit: return standard;
    case Stream::Kind::kFd: return stream.fd;
    case Stream::Kind::kAppendFile: {
      auto fd = open_append(stream.file, owned);
      if (!fd) {
        problem = fd.error();
        return -1;
      }
      return *fd;
    }
    default: return -1;  // null, capture and input are handled by the caller
  }
}

// Reads a captured stream to EOF, keeping at most `limit` bytes.
struct Capture {
  asio::readable_pipe pipe;
  std::string text;
  std::size_t limit;
  std::array<char, 16384> buffer{};
  bool done = false;

  Capture(asio::io_context& io, std::size_t l) : pipe(io), limit(l) {}
  void read() {
    pipe.async_read_some(asio::buffer(buffer), [this](const bp::error_code& ec, std::size_t n) {
      if (n > 0 && text.size() < limit) text.append(buffer.data(), std::min(n, limit - text.size()));
      if (ec) {
        done = true;
        return;
      }
      read();
    });
  }
};

std::string describe(const std::vector<std::string>& argv) { return argv.empty() ? std::string("(empty)") : argv[0]; }

}  // namespace

int exit_code_of(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return status;
}

namespace {

// Launches the child on `io` with its streams bound; the caller drives io.
using Process = bp::basic_process<asio::io_context::executor_type>;

Result<Process> launch(asio::io_context& io, const LaunchOptions& options, Capture* out, Capture* err,
                           asio::writable_pipe* in) {
  if (options.argv.empty() || options.argv[0].empty()) return invalid_input("launch: empty command");
  const auto env = environment_with(options.env);
  const std::string program = find_program(options.argv[0], env);
  if (program.empty())
    return Error{ErrorCode::kNotFound, fmt::format("{}: not found in PATH", options.argv[0])};
  std::vector<std::string> env_lines;
  for (const auto& [k, v] : env) env_lines.push_back(k + "=" + v);
  std::vector<const char*> envp;
  for (const auto& line : env_lines) envp.push_back(line.c_str());
  envp.push_back(nullptr);

  OwnedFd out_file, err_file;
  Result<void> problem = ok_result();
  const int out_fd = target_fd(options.out, STDOUT_FILENO, out_file, problem);
  const int err_fd = target_fd(options.err, STDERR_FILENO, err_file, problem);
  if (!problem) return problem.error();

  auto in_binding = [&]() -> bp::detail::process_input_binding {
    if (options.in.kind == Stream::Kind::kInput && in) return bp::detail::process_input_binding(*in);
    if (options.in.kind == Stream::Kind::kInherit) return bp::detail::process_input_binding(STDIN_FILENO);
    if (options.in.kind == Stream::Kind::kFd) return bp::detail::process_input_binding(options.in.fd);
    return bp::detail::process_input_binding(nullptr);
  };
  auto out_binding = [&](const Stream& s, int fd, Capture* c) -> bp::detail::process_output_binding {
    if (s.kind == Stream::Kind::kCapture && c) return bp::detail::process_output_binding(c->pipe);
    if (fd >= 0) return bp::detail::process_output_binding(fd);
    return bp::detail::process_output_binding(nullptr);
  };
  auto err_binding = [&](const Stream& s, int fd, Capture* c) -> bp::detail::process_error_binding {
    if (s.kind == Stream::Kind::kCapture && c) return bp::detail::process_error_binding(c->pipe);
    if (fd >= 0) return bp::detail::process_error_binding(fd);
    return bp::detail::process_error_binding(nullptr);
  };

  std::vector<std::string> args(options.argv.begin() + 1, options.argv.end());
  bp::error_code ec;
  bp::posix::default_launcher launcher;
  ChildSetup setup{options, ::getpid()};
  ChildEnvironment environment{envp.data()};
  bp::process_stdio stdio{in_binding(), out_binding(options.out, out_fd, out), err_binding(options.err, err_fd, err)};
  auto failed = [&](int code, const std::string& why) {
    return Error{code == ENOENT ? ErrorCode::kNotFound : ErrorCode::kIo,
                 fmt::format("{}: cannot start: {}", describe(options.argv), why)};
  };
  try {
    auto proc = options.working_dir.empty()
                    ? launcher(io, ec, bp::filesystem::path(program), args, environment, stdio, setup)
                    : launcher(io, ec, bp::filesystem::path(program), args, environment, stdio,
                               bp::process_start_dir(options.working_dir), setup);
    if (ec) return failed(ec.value(), ec.message());
    return proc;
  } catch (const boost::system::system_error& e) {  // some launch errors are thrown, whatever the overload
    return failed(e.code().value(), e.code().message());
  }
}

}  // namespace

Result<Finished> run(const LaunchOptions& options, Nanos timeout) {
  asio::io_context io;
  Capture out(io, options.capture_limit), err(io, options.capture_limit);
  asio::writable_pipe in(io);
  const bool capture_out = options.out.kind == Stream::Kind::kCapture;
  const bool capture_err = options.err.kind == Stream::Kind::kCapture;
  auto proc = launch(io, options, capture_out ? &out : nullptr, capture_err ? &err : nullptr,
                     options.in.kind == Stream::Kind::kInput ? &in : nullptr);
  if (!proc) return proc.error();
  const pid_t pid = proc->id();
  const bool own_group = options.group != Group::kSame;

  Finished finished;
  bool exited = false;
  if (capture_out) out.read();
  if (capture_err) err.read();
  if (options.in.kind == Stream::Kind::kInput)
    asio::async_write(in, asio::buffer(options.input), [&](const bp::error_code&, std::size_t) { in.close(); });
  proc->async_wait([&](const bp::error_code&, int) {
    exited = true;
    finished.exit_code = exit_code_of(proc->native_exit_code());
  });

  // Runs handlers until `done()` or the deadline; false at the deadline.
  auto run_until = [&](Nanos deadline, auto done) {
    while (!io.stopped() && !done()) {
      Nanos left = deadline - monotonic_now();
      if (left <= 0) return false;
      io.run_one_for(std::chrono::nanoseconds(left));
    }
    return true;
  };
  auto all_read = [&] { return (!capture_out || out.done) && (!capture_err || err.done); };
  const Nanos forever = std::numeric_limits<Nanos>::max() / 2;
  if (!run_until(timeout > 0 ? monotonic_now() + timeout : forever, [&] { return exited; })) {
    finished.timed_out = true;
    ::kill(own_group ? -pid : pid, SIGKILL);
    while (!exited && !io.stopped()) io.run_one();
  }
  // The child is gone; collect what it wrote, but do not wait long on
  // output its own children still hold open.
  run_until(monotonic_now() + kDrainAfterExit, all_read);
  finished.out = std::move(out.text);
  finished.err = std::move(err.text);
  return finished;
}

Result<Child> start(const LaunchOptions& options) {
  asio::io_context io;
  auto proc = launch(io, options, nullptr, nullptr, nullptr);
  if (!proc) return proc.error();
  Child child(proc->id(), options.group != Group::kSame);
  proc->detach();
  return child;
}

int Child::wait() {
  int status = 0;
  while (::waitpid(pid_, &status, 0) < 0) {
    if (errno != EINTR) return -1;
  }
  return exit_code_of(status);
}

Result<int> Child::wait_for(Nanos timeout) {
  const Nanos deadline = monotonic_now() + timeout;
  for (;;) {
    int status = 0;
    pid_t got = ::waitpid(pid_, &status, WNOHANG);
    if (got == pid_) return exit_code_of(status);
    if (got < 0 && errno != EINTR) return io_error(fmt::format("waitpid {}: {}", pid_, std::strerror(errno)));
    if (monotonic_now() >= deadline) return Error{ErrorCode::kTimeout, fmt::format("process {} still running", pid_)};
    ::usleep(5000);
  }
}

void Child::signal(int signo) const {
  if (pid_ > 0) ::kill(own_group_ ? -pid_ : pid_, signo);
}

}  // namespace faultline::process
