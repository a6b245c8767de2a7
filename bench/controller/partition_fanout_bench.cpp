// controller_fanout_bench: time to apply and to heal a partition across N
// agents (N = 5, 50, 200), concurrent fan-out versus one agent after another,
// printed side by side. Needs root: the agents all run in one scratch network
// namespace (loopback, one port each), created and removed by this program;
// the partition drops a TEST-NET address, so no real traffic is affected.
//
//   controller_fanout_bench [N...]      (default: 5 50 200)
#include <algorithm>
#include <cstdio>
#include <thread>

#include <fcntl.h>
#include <csignal>
#include <sched.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>

#include "agent/client/agent_client.h"
#include "controller/cluster/exec.h"
#include "controller/cluster/local_provider.h"

using namespace faultline;
using namespace faultline::controller;

namespace {

struct Agents {
  std::string ns;
  std::filesystem::path dir;
  std::vector<pid_t> pids;
  std::vector<agent::AgentEndpoint> endpoints;
  ~Agents() {
    for (auto pid : pids) ::kill(pid, SIGTERM);
    for (auto pid : pids) stop_process(pid, 3'000'000'000);
    std::filesystem::remove_all(dir);
  }
};

template <class Fn>
void fan_out(std::size_t n, Fn fn) {
  std::vector<std::thread> threads;
  for (std::size_t i = 0; i < n; ++i) threads.emplace_back([&, i] { fn(i); });
  for (auto& t : threads) t.join();
}

double ms(Nanos ns) { return static_cast<double>(ns) / 1e6; }

}  // namespace

int main(int argc, char** argv) {
  if (::geteuid() != 0) {
    std::fprintf(stderr, "controller_fanout_bench: run as root (it creates a network namespace)\n");
    return 1;
  }
  std::vector<int> sizes;
  for (int i = 1; i < argc; ++i) sizes.push_back(std::atoi(argv[i]));
  if (sizes.empty()) sizes = {5, 50, 200};
  const std::string ns = fmt::format("faultline-bench-{}", ::getpid());
  if (!run_command({"ip", "netns", "add", ns})) return 1;
  struct NsGuard {
    std::string ns;
    ~NsGuard() { (void)run_command({"ip", "netns", "del", ns}); }
  } guard{ns};
  (void)run_command({"ip", "-n", ns, "link", "set", "lo", "up"});
  int fd = ::open(("/run/netns/" + ns).c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0 || ::setns(fd, CLONE_NEWNET) != 0) {
    std::perror("setns");
    return 1;
  }
  std::printf("partition apply/heal across N agents (one namespace, loopback); median of 3, ms\n");
  std::printf("%6s | %14s %14s | %14s %14s | %s\n", "N", "apply seq", "apply fan-out", "heal seq", "heal fan-out",
              "fan-out speed-up");
  double base_fanout = 0;
  for (int n : sizes) {
    Agents agents;
    agents.ns = ns;
    agents.dir = std::filesystem::temp_directory_path() / fmt::format("faultline-bench-{}-{}", ::getpid(), n);
    std::filesystem::create_directories(agents.dir);
    for (int i = 0; i < n; ++i) {
      auto state = agents.dir / std::to_string(i);
      std::filesystem::create_directories(state);
      {
        std::FILE* f = std::fopen((state / "token").c_str(), "w");
        std::fputs("bench-token", f);
        std::fclose(f);
        ::chmod((state / "token").c_str(), 0600);
      }
      std::uint16_t port = static_cast<std::uint16_t>(20000 + i);
      auto pid = spawn_daemon({std::string(FAULTLINE_BIN_DIR) + "/faultline-agent", "--listen", fmt::format("127.0.0.1:{}", port),
                               "--token-file", (state / "token").string(), "--state-dir", state.string(), "--log-level", "warn"},
                              state / "agent.log");
      if (!pid) {
        std::fprintf(stderr, "%s\n", pid.error().message.c_str());
        return 1;
      }
      agents.pids.push_back(*pid);
      agents.endpoints.push_back({"127.0.0.1", port, "bench-token"});
    }
    std::vector<std::unique_ptr<agent::AgentClient>> clients(static_cast<std::size_t>(n));
    bool ok = true;
    fan_out(clients.size(), [&](std::size_t i) {
      if (!wait_for_tcp("127.0.0.1", agents.endpoints[i].port, 30'000'000'000)) {
        ok = false;
        return;
      }
      auto c = agent::AgentClient::connect(agents.endpoints[i]);
      if (c) clients[i] = std::move(*c);
      else ok = false;
    });
    if (!ok) {
      std::fprintf(stderr, "N=%d: agents did not come up\n", n);
      return 1;
    }
    auto spec = *faults::FaultSpec::parse({{"kind", "partition"}, {"peers", {"192.0.2.77"}}});
    auto measure = [&](bool concurrent) {
      std::vector<std::string> ids(clients.size());
      Nanos t0 = monotonic_now();
      auto apply = [&](std::size_t i) {
        auto r = clients[i]->apply(spec, 30'000'000'000);
        if (r) ids[i] = r->id;
        else std::fprintf(stderr, "apply: %s\n", r.error().message.c_str());
      };
      if (concurrent) fan_out(clients.size(), apply);
      else for (std::size_t i = 0; i < clients.size(); ++i) apply(i);
      Nanos t1 = monotonic_now();
      auto heal = [&](std::size_t i) { (void)clients[i]->heal(ids[i]); };
      if (concurrent) fan_out(clients.size(), heal);
      else for (std::size_t i = 0; i < clients.size(); ++i) heal(i);
      Nanos t2 = monotonic_now();
      return std::make_pair(t1 - t0, t2 - t1);
    };
    auto median = [&](bool concurrent) {
      std::vector<std::pair<Nanos, Nanos>> runs;
      for (int r = 0; r < 3; ++r) runs.push_back(measure(concurrent));
      std::vector<Nanos> a, h;
      for (auto& [x, y] : runs) {
        a.push_back(x);
        h.push_back(y);
      }
      std::sort(a.begin(), a.end());
      std::sort(h.begin(), h.end());
      return std::make_pair(a[1], h[1]);
    };
    auto seq = median(false);
    auto par = median(true);
    if (base_fanout == 0) base_fanout = ms(par.first + par.second);
    std::printf("%6d | %14.1f %14.1f | %14.1f %14.1f | %.1fx  (fan-out apply+heal = %.1fx the N=%d time; target <= 5x)\n", n,
                ms(seq.first), ms(par.first), ms(seq.second), ms(par.second),
                ms(seq.first + seq.second) / std::max(0.001, ms(par.first + par.second)),
                ms(par.first + par.second) / base_fanout, sizes[0]);
    std::fflush(stdout);
    for (auto& c : clients) c->close();
  }
  return 0;
}
