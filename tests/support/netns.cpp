#include "tests/support/netns.h"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/close_range.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fmt/format.h>

namespace faultline::testing {
namespace {

std::atomic<int> sequence{0};

int wait_child(pid_t pid) {
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return -1;
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

// fork+exec with stdout/stderr merged into one pipe.
ExecOutput run_program(const std::vector<std::string>& argv) {
  ExecOutput result;
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) {
    result.output = std::string("pipe: ") + std::strerror(errno);
    return result;
  }
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(fds[1], 1);
    ::dup2(fds[1], 2);
    int devnull = ::open("/dev/null", O_RDONLY);
    if (devnull >= 0) ::dup2(devnull, 0);
    ::execvp(args[0], args.data());
    ::_exit(127);
  }
  ::close(fds[1]);
  if (pid < 0) {
    ::close(fds[0]);
    result.output = std::string("fork: ") + std::strerror(errno);
    return result;
  }
  char buffer[4096];
  ssize_t n;
  while ((n = ::read(fds[0], buffer, sizeof buffer)) != 0) {
    if (n < 0) {
      if (errno == EINTR) continue;
      break;
    }
    result.output.append(buffer, static_cast<std::size_t>(n));
  }
  ::close(fds[0]);
  result.exit_code = wait_child(pid);
  return result;
}

Result<void> must(const std::vector<std::string>& argv) {
  auto out = run_program(argv);
  if (out.exit_code == 0) return ok_result();
  std::string cmd;
  for (const auto& a : argv) cmd += (cmd.empty() ? "" : " ") + a;
  return io_error(fmt::format("netns fixture: `{}` failed (exit {}): {}", cmd, out.exit_code, out.output));
}

bool enter_netns(const std::string& ns) {
  int fd = ::open(("/run/netns/" + ns).c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  bool ok = ::setns(fd, CLONE_NEWNET) == 0;
  ::close(fd);
  return ok;
}

// Namespaces named flt<pid>-... whose pid no longer runs: left by a test that was killed.
void remove_stale_namespaces() {
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/run/netns", ec)) {
    auto name = entry.path().filename().string();
    if (name.rfind("flt", 0) != 0) continue;
    auto dash = name.find('-');
    if (dash == std::string::npos || dash <= 3) continue;
    pid_t pid = 0;
    try {
      pid = static_cast<pid_t>(std::stol(name.substr(3, dash - 3)));
    } catch (...) {
      continue;
    }
    if (pid <= 0 || ::kill(pid, 0) == 0 || errno != ESRCH) continue;
    run_program({"ip", "netns", "del", name});
  }
}

}  // namespace

Result<std::unique_ptr<NetnsCluster>> NetnsCluster::create(int count, NetnsOptions options) {
  if (count < 1 || count > 250) return invalid_input("netns fixture: node count must be 1..250");
  remove_stale_namespaces();
  std::unique_ptr<NetnsCluster> cluster(new NetnsCluster());
  cluster->options_ = options;
  const std::string prefix = fmt::format("flt{}-{}-", ::getpid(), sequence.fetch_add(1));
  cluster->hub_ = prefix + "hub";
  auto add_ns = [&](const std::string& ns) -> Result<void> {
    if (auto r = must({"ip", "netns", "add", ns}); !r) return r;
    cluster->created_.push_back(ns);
    return must({"ip", "-n", ns, "link", "set", "lo", "up"});
  };
  const std::string& hub = cluster->hub_;
  if (auto r = add_ns(hub); !r) return r.error();
  for (const auto& step : std::vector<std::vector<std::string>>{
           {"ip", "-n", hub, "link", "add", "br0", "type", "bridge"},
           {"ip", "-n", hub, "addr", "add", cluster->hub_address() + "/24", "dev", "br0"},
           {"ip", "-n", hub, "link", "set", "br0", "up"}})
    if (auto r = must(step); !r) return r.error();
  for (int i = 1; i <= count; ++i) {
    NetnsNode node{fmt::format("{}n{}", prefix, i), fmt::format("{}.{}", options.subnet, i), "eth0"};
    if (auto r = add_ns(node.ns); !r) return r.error();
    const std::string port = fmt::format("p{}", i);
    for (const auto& step : std::vector<std::vector<std::string>>{
             {"ip", "-n", hub, "link", "add", port, "type", "veth", "peer", "name", "eth0", "netns", node.ns},
             {"ip", "-n", hub, "link", "set", port, "master", "br0"},
             {"ip", "-n", hub, "link", "set", port, "up"},
             {"ip", "-n", node.ns, "addr", "add", node.address + "/24", "dev", "eth0"},
             {"ip", "-n", node.ns, "link", "set", "eth0", "up"}})
      if (auto r = must(step); !r) return r.error();
    cluster->nodes_.push_back(std::move(node));
  }
  return cluster;
}

NetnsCluster::~NetnsCluster() { teardown(); }

void NetnsCluster::teardown() {
  for (pid_t pid : spawned_) {
    ::kill(pid, SIGKILL);
    wait_child(pid);
  }
  spawned_.clear();
  for (auto it = created_.rbegin(); it != created_.rend(); ++it) run_program({"ip", "netns", "del", *it});
  created_.clear();
}

ExecOutput NetnsCluster::exec(const std::string& ns, const std::vector<std::string>& argv) {
  std::vector<std::string> full = {"ip", "netns", "exec", ns};
  full.insert(full.end(), argv.begin(), argv.end());
  return run_program(full);
}

int NetnsCluster::run_in(const std::string& ns, const std::function<int()>& fn) {
  pid_t pid = ::fork();
  if (pid < 0) return -1;
  if (pid == 0) {
    if (!enter_netns(ns)) ::_exit(125);
    int code = fn();
    ::_exit(code);
  }
  return wait_child(pid);
}

Result<std::string> NetnsCluster::run_in_capture(const std::string& ns, const std::function<std::string()>& fn) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return io_error(std::string("pipe: ") + std::strerror(errno));
  pid_t pid = ::fork();
  if (pid < 0) {
    ::close(fds[0]);
    ::close(fds[1]);
    return io_error(std::string("fork: ") + std::strerror(errno));
  }
  if (pid == 0) {
    ::close(fds[0]);
    if (!enter_netns(ns)) ::_exit(125);
    std::string value = fn();
    std::size_t off = 0;
    while (off < value.size()) {
      ssize_t w = ::write(fds[1], value.data() + off, value.size() - off);
      if (w <= 0) break;
      off += static_cast<std::size_t>(w);
    }
    ::_exit(0);
  }
  ::close(fds[1]);
  std::string value;
  char buffer[4096];
  ssize_t n;
  while ((n = ::read(fds[0], buffer, sizeof buffer)) != 0) {
    if (n < 0) {
      if (errno == EINTR) continue;
      break;
    }
    value.append(buffer, static_cast<std::size_t>(n));
  }
  ::close(fds[0]);
  int code = wait_child(pid);
  if (code != 0) return io_error(fmt::format("netns fixture: child in {} exited with {}", ns, code));
  return value;
}

Result<pid_t> NetnsCluster::spawn(const std::string& ns, const std::vector<std::string>& argv,
                                  const std::string& log_path) {
  std::vector<std::string> full = {"ip", "netns", "exec", ns};
  full.insert(full.end(), argv.begin(), argv.end());
  std::vector<char*> args;
  for (const auto& a : full) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = ::fork();
  if (pid < 0) return io_error(std::string("fork: ") + std::strerror(errno));
  if (pid == 0) {
    int out = log_path.empty() ? ::open("/dev/null", O_WRONLY)
                               : ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (out >= 0) {
      ::dup2(out, 1);
      ::dup2(out, 2);
    }
    int devnull = ::open("/dev/null", O_RDONLY);
    if (devnull >= 0) ::dup2(devnull, 0);
    // A long-lived child must not keep the test's other descriptors open
    // (e.g. the lock of a `flock` wrapping the test run would outlive it).
    ::close_range(3, ~0U, CLOSE_RANGE_CLOEXEC);
    ::execvp(args[0], args.data());
    ::_exit(127);
  }
  spawned_.push_back(pid);
  return pid;
}

void NetnsCluster::kill(pid_t pid) {
  for (auto it = spawned_.begin(); it != spawned_.end(); ++it) {
    if (*it != pid) continue;
    ::kill(pid, SIGKILL);
    wait_child(pid);
    spawned_.erase(it);
    return;
  }
}

ScopedNetns::ScopedNetns(const std::string& ns) {
  original_ = ::open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
  if (original_ < 0) {
    error_ = std::string("open /proc/thread-self/ns/net: ") + std::strerror(errno);
    return;
  }
  if (!enter_netns(ns)) {
    error_ = fmt::format("setns into {}: {}", ns, std::strerror(errno));
    return;
  }
  ok_ = true;
}

ScopedNetns::~ScopedNetns() {
  if (original_ >= 0) {
    if (ok_) ::setns(original_, CLONE_NEWNET);
    ::close(original_);
  }
}

}  // namespace faultline::testing
