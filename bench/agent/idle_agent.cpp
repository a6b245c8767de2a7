// bench_agent_idle [AGENT_BINARY] [SECONDS]: starts a real faultline-agent,
// connects one controller (hello + subscribe_events, as during a run), then
// leaves it idle and reports its resident memory and CPU use over the idle
// window, beside the limits from the issue: RSS < 20 MB, no measurable CPU.
// Exits 1 if a limit is exceeded.
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>

#include "agent/client/agent_client.h"

namespace {

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

long rss_kib(pid_t pid) {
  auto status = read_file("/proc/" + std::to_string(pid) + "/status");
  auto pos = status.find("VmRSS:");
  return pos == std::string::npos ? -1 : std::stol(status.substr(pos + 6));
}

// utime + stime in clock ticks.
long cpu_ticks(pid_t pid) {
  auto stat = read_file("/proc/" + std::to_string(pid) + "/stat");
  std::istringstream fields(stat.substr(stat.rfind(')') + 2));
  std::string field;
  long utime = 0, stime = 0;
  for (int i = 3; fields >> field; ++i) {
    if (i == 14) utime = std::stol(field);
    if (i == 15) {
      stime = std::stol(field);
      break;
    }
  }
  return utime + stime;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string agent = argc > 1 ? argv[1] : FAULTLINE_AGENT_BIN;
  const int seconds = argc > 2 ? std::atoi(argv[2]) : 5;
  auto dir = std::filesystem::temp_directory_path() / ("faultline-bench-agent-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  {
    std::ofstream(dir / "token") << "bench-token\n";
    ::chmod((dir / "token").c_str(), 0600);
  }
  pid_t pid = ::fork();
  if (pid == 0) {
    int devnull = ::open("/dev/null", O_WRONLY);
    ::dup2(devnull, 1);
    ::dup2(devnull, 2);
    ::execl(agent.c_str(), agent.c_str(), "--listen", "127.0.0.1:0", "--token-file", (dir / "token").c_str(),
            "--state-dir", (dir / "state").c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  int port = 0;
  for (int i = 0; i < 500 && port == 0; ++i) {
    std::ifstream in(dir / "state" / "agent.port");
    if (!(in >> port)) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  int rc = 0;
  if (port == 0) {
    std::fprintf(stderr, "bench_agent_idle: agent %s did not start\n", agent.c_str());
    rc = 2;
  } else {
    auto client = faultline::agent::AgentClient::connect({"127.0.0.1", static_cast<std::uint16_t>(port), "bench-token"});
    if (!client || !(*client)->hello().ok() || !(*client)->subscribe_events([](const auto&) {}).ok()) {
      std::fprintf(stderr, "bench_agent_idle: cannot talk to the agent\n");
      rc = 2;
    } else {
      std::this_thread::sleep_for(std::chrono::milliseconds(500));  // settle after start-up
      const long ticks_before = cpu_ticks(pid);
      const auto start = std::chrono::steady_clock::now();
      std::this_thread::sleep_for(std::chrono::seconds(seconds));
      const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      const long ticks = cpu_ticks(pid) - ticks_before;
      const double cpu_seconds = static_cast<double>(ticks) / static_cast<double>(::sysconf(_SC_CLK_TCK));
      const double cpu_percent = 100.0 * cpu_seconds / wall;
      const double rss_mb = static_cast<double>(rss_kib(pid)) / 1024.0;
      const double tick_percent = 100.0 / static_cast<double>(::sysconf(_SC_CLK_TCK)) / wall;
      std::printf("%-28s %12s %20s %s\n", "idle faultline-agent", "measured", "limit", "verdict");
      std::printf("%-28s %9.1f MiB %16s MiB %s\n", "resident memory (VmRSS)", rss_mb, "< 20", rss_mb < 20 ? "ok" : "OVER");
      std::printf("%-28s %10.3f %% %18s %s\n", "CPU over idle window", cpu_percent,
                  "< 1 tick", ticks <= 1 ? "ok" : "OVER");
      std::printf("(idle window %.1f s, one connected subscribed controller; 1 clock tick = %.2f %% of it)\n", wall,
                  tick_percent);
      if (rss_mb >= 20 || ticks > 1) rc = 1;
      (*client)->close();
    }
  }
  ::kill(pid, SIGTERM);
  int status = 0;
  ::waitpid(pid, &status, 0);
  std::filesystem::remove_all(dir);
  return rc;
}
