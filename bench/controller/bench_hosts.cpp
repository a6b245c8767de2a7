#include "bench/controller/bench_hosts.h"

#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <random>
#include <sstream>
#include <thread>

#include <fmt/format.h>

#include "controller/run/fan_out.h"

namespace faultline::bench {
namespace {

constexpr const char* kNetnsDir = "/run/netns";

std::string random_token() {
  std::random_device rd;
  std::string token;
  for (int i = 0; i < 32; ++i) token += "0123456789abcdef"[rd() % 16];
  return token;
}

void remove_name(const std::string& name) {
  std::string path = std::string(kNetnsDir) + "/" + name;
  ::umount2(path.c_str(), MNT_DETACH);
  ::unlink(path.c_str());
}

// Child side of a spawn, between fork and exec: only system calls here (the
// parent has threads). Reports the failing step through errfd and exits.
[[noreturn]] void child(pid_t parent, int errfd, const char* netns_path, bool private_run, const char* log_path,
                        char* const* argv) {
  auto fail = [&](const char* what) {
    int e = errno;
    (void)!::write(errfd, what, std::strlen(what));
    (void)!::write(errfd, ": ", 2);
    const char* s = std::strerror(e);
    (void)!::write(errfd, s, std::strlen(s));
    ::_exit(127);
  };
  // Die with the bench even when it is SIGKILLed (SIGTERM: the agent heals).
  if (::prctl(PR_SET_PDEATHSIG, SIGTERM) != 0) fail("prctl");
  if (::getppid() != parent) ::_exit(1);
  ::setsid();  // Ctrl-C on the terminal reaches only the bench, which stops the agents in order
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  ::signal(SIGPIPE, SIG_DFL);
  // A fresh network namespace, named like `ip netns add` does.
  if (::unshare(CLONE_NEWNET) != 0) fail("unshare(CLONE_NEWNET)");
  if (::mount("/proc/self/ns/net", netns_path, "none", MS_BIND, nullptr) != 0) fail("bind-mount netns");
  if (private_run) {
    // Own mount namespace, nothing propagating back, private /run: this
    // host's iptables lock files are its own.
    if (::unshare(CLONE_NEWNS) != 0) fail("unshare(CLONE_NEWNS)");
    if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) fail("make / private");
    if (::mount("tmpfs", "/run", "tmpfs", MS_NOSUID | MS_NODEV, "size=4m,mode=0755") != 0) fail("tmpfs on /run");
  }
  int s = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (s < 0) fail("socket");
  struct ifreq ifr {};
  std::strncpy(ifr.ifr_name, "lo", IFNAMSIZ - 1);
  if (::ioctl(s, SIOCGIFFLAGS, &ifr) != 0) fail("SIOCGIFFLAGS lo");
  ifr.ifr_flags = static_cast<short>(ifr.ifr_flags | IFF_UP);
  if (::ioctl(s, SIOCSIFFLAGS, &ifr) != 0) fail("lo up");
  ::close(s);
  int out = ::open(log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (out < 0) fail("open log");
  int devnull = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (devnull >= 0) ::dup2(devnull, 0);
  ::dup2(out, 1);
  ::dup2(out, 2);
  ::execv(argv[0], argv);
  fail("exec");
  ::_exit(127);
}

bool enter_netns(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  bool ok = ::setns(fd, CLONE_NEWNET) == 0;
  ::close(fd);
  return ok;
}

}  // namespace

Result<std::unique_ptr<BenchHosts>> BenchHosts::start(int n, const HostsOptions& options) {
  std::unique_ptr<BenchHosts> hosts(new BenchHosts());
  hosts->options_ = options;
  std::error_code ec;
  std::filesystem::create_directories(options.scratch, ec);
  if (ec) return io_error(fmt::format("{}: {}", options.scratch.string(), ec.message()));
  ::mkdir(kNetnsDir, 0755);
  const std::string token = random_token();
  const pid_t self = ::getpid();

  // Fork every agent first (cheap), then wait for all of them together.
  for (int i = 0; i < n; ++i) {
    auto dir = options.scratch / std::to_string(i);
    std::filesystem::create_directories(dir, ec);
    if (ec) return io_error(fmt::format("{}: {}", dir.string(), ec.message()));
    {
      std::ofstream f(dir / "token");
      f << token;
    }
    ::chmod((dir / "token").c_str(), 0600);
    std::string name = fmt::format("{}-{}", options.prefix, i);
    std::string netns_path = std::string(kNetnsDir) + "/" + name;
    int fd = ::open(netns_path.c_str(), O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0444);
    if (fd < 0) return io_error(fmt::format("{}: {}", netns_path, std::strerror(errno)));
    ::close(fd);
    hosts->names_.push_back(name);

    std::vector<std::string> argv = {options.agent_binary.string(),
                                     "--listen", fmt::format("127.0.0.1:{}", kPort),
                                     "--token-file", (dir / "token").string(),
                                     "--state-dir", (dir / "state").string(),
                                     "--log-level", "warn"};
    std::vector<char*> args;
    for (auto& a : argv) args.push_back(a.data());
    args.push_back(nullptr);
    std::string log = (dir / "agent.log").string();
    int errpipe[2];
    if (::pipe2(errpipe, O_CLOEXEC) != 0) return io_error(fmt::format("pipe: {}", std::strerror(errno)));
    pid_t pid = ::fork();
    if (pid < 0) {
      ::close(errpipe[0]);
      ::close(errpipe[1]);
      return io_error(fmt::format("fork: {}", std::strerror(errno)));
    }
    if (pid == 0) child(self, errpipe[1], netns_path.c_str(), !options.shared_run, log.c_str(), args.data());
    ::close(errpipe[1]);
    hosts->pids_.push_back(pid);
    std::string error;
    char buffer[256];
    ssize_t got;
    while ((got = ::read(errpipe[0], buffer, sizeof buffer)) != 0) {
      if (got < 0) {
        if (errno == EINTR) continue;
        break;
      }
      error.append(buffer, static_cast<std::size_t>(got));
    }
    ::close(errpipe[0]);
    if (!error.empty()) return io_error(fmt::format("agent {} in {}: {}", i, name, error));
  }

  // Connect from inside each namespace, all at once, with the controller's fan-out.
  hosts->clients_.resize(static_cast<std::size_t>(n));
  std::vector<std::string> errors(static_cast<std::size_t>(n));
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  controller::fan_out(static_cast<std::size_t>(n), [&](std::size_t i) {
    std::string path = std::string(kNetnsDir) + "/" + hosts->names_[i];
    if (!enter_netns(path)) {  // this thread only; it ends right after
      errors[i] = fmt::format("setns {}: {}", path, std::strerror(errno));
      return;
    }
    std::string last;
    while (std::chrono::steady_clock::now() < deadline && !(options.stop && options.stop->load())) {
      auto client = agent::AgentClient::connect({"127.0.0.1", kPort, token}, 5'000'000'000);
      if (client) {
        auto hello = (*client)->hello();
        if (!hello) {
          errors[i] = fmt::format("agent {}: hello: {}", i, hello.error().message);
          return;
        }
        const auto& partition = hello->capabilities.value("partition", nlohmann::json::object());
        if (!partition.value("available", false)) {
          errors[i] = fmt::format("agent {}: partition not available: {}", i, partition.value("reason", "?"));
          return;
        }
        hosts->clients_[i] = std::move(*client);
        return;
      }
      last = client.error().message;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    errors[i] = fmt::format("agent {} did not come up: {} (log {})", i, last,
                            (options.scratch / std::to_string(i) / "agent.log").string());
  });
  for (const auto& e : errors)
    if (!e.empty()) return io_error(e);
  return hosts;
}

BenchHosts::~BenchHosts() { teardown(); }

void BenchHosts::teardown() {
  for (auto& c : clients_)
    if (c) c->close();
  clients_.clear();
  for (pid_t pid : pids_) ::kill(pid, SIGTERM);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  std::vector<pid_t> left = pids_;
  while (!left.empty()) {
    std::vector<pid_t> still;
    for (pid_t pid : left) {
      int status = 0;
      pid_t r = ::waitpid(pid, &status, WNOHANG);
      if (r == 0) still.push_back(pid);
    }
    left.swap(still);
    if (left.empty()) break;
    if (std::chrono::steady_clock::now() >= deadline) {
      for (pid_t pid : left) {
        ::kill(pid, SIGKILL);
        ::waitpid(pid, nullptr, 0);
      }
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  pids_.clear();
  for (const auto& name : names_) remove_name(name);
  names_.clear();
  if (!options_.scratch.empty()) {
    std::error_code ec;
    std::filesystem::remove_all(options_.scratch, ec);
    options_.scratch.clear();
  }
}

BenchHosts::Cpu BenchHosts::agents_cpu() const {
  static const long ticks = ::sysconf(_SC_CLK_TCK);
  long long own = 0, programs = 0;
  for (pid_t pid : pids_) {
    std::ifstream f(fmt::format("/proc/{}/stat", pid));
    std::string text((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    auto close = text.rfind(')');
    if (close == std::string::npos) continue;
    std::istringstream rest(text.substr(close + 2));
    std::string field;
    // After "pid (comm) ": state is field 3; utime, stime are fields 14, 15,
    // cutime, cstime (reaped children) 16, 17.
    for (int k = 3; k <= 17 && rest >> field; ++k)
      if (k >= 14) (k <= 15 ? own : programs) += std::atoll(field.c_str());
  }
  const Nanos tick = 1'000'000'000LL / ticks;
  return {static_cast<Nanos>(own) * tick, static_cast<Nanos>(programs) * tick};
}

std::uint64_t BenchHosts::agents_rss() const {
  std::uint64_t total = 0;
  for (pid_t pid : pids_) {
    std::ifstream f(fmt::format("/proc/{}/status", pid));
    std::string line;
    while (std::getline(f, line))
      if (line.rfind("VmRSS:", 0) == 0) total += std::strtoull(line.c_str() + 6, nullptr, 10) * 1024;
  }
  return total;
}

void BenchHosts::remove_stale(const std::string& base, const std::filesystem::path& scratch_root) {
  auto stale = [&](const std::string& name) {
    if (name.rfind(base + "-", 0) != 0) return false;
    pid_t pid = static_cast<pid_t>(std::atol(name.c_str() + base.size() + 1));
    return pid > 0 && pid != ::getpid() && ::kill(pid, 0) != 0 && errno == ESRCH;
  };
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(kNetnsDir, ec))
    if (stale(entry.path().filename().string())) remove_name(entry.path().filename().string());
  std::vector<std::filesystem::path> dirs;
  for (const auto& entry : std::filesystem::directory_iterator(scratch_root, ec))
    if (stale(entry.path().filename().string())) dirs.push_back(entry.path());
  for (const auto& dir : dirs) std::filesystem::remove_all(dir, ec);
}

}  // namespace faultline::bench
