// controller_fanout_bench: time to apply and to heal a partition across N
// agents (default N = 5, 50, 200), the controller's concurrent fan-out versus
// one agent after another, printed side by side, and time(N)/time(first N)
// against the target (200 agents within 5x the time of 5).
//
// What is measured, and why it is honest:
//  - N real faultline-agent processes, each in its own network namespace
//    (bench_hosts.h; loopback only, the agent on 127.0.0.1:7450 as on every
//    host) and, by default, its own mount namespace with a private /run. The
//    partition mechanism takes two file locks under /run: IptablesChains'
//    flock on /run/faultline-iptables.lock (apply and heal) and
//    `iptables-restore -w`'s /run/xtables.lock (only where the in-process
//    nf_tables fast path cannot be used: where iptables runs on nf_tables,
//    apply and heal are one netlink transaction each, no program started;
//    the registry's probe remembers its success per network namespace, so
//    it does not run `iptables-save` per step). A file lock is shared
//    across network namespaces, but every real host has
//    its own /run, so one private /run per agent models N hosts;
//    --shared-run measures all agents queueing on one lock instead.
//  - The controller side is the controller's own code: the partition comes
//    from controller::compute_grudge + partition_specs (mode halves over all
//    N nodes by default, so every agent drops N/2 peer addresses, as in a
//    suite), each node's step is what the runner does (FaultSpec::parse, then
//    AgentClient::apply with the lease / AgentClient::heal), and "fan-out" is
//    controller::fan_out (controller/run/fan_out.h), the runner's.
//  - Apply and heal are timed separately, after one untimed round, R
//    repetitions (fan-out and
//    sequential alternate first), p50/p99 by nearest rank. The agents' CPU
//    (theirs plus reaped iptables-save/-restore children) and the
//    controller's CPU are measured per step: on this machine all agents share
//    its few CPUs, so N agents' work cannot finish faster than their CPU
//    total / CPUs ("cpu floor"), which real hosts, one CPU set each, do not
//    pay. The ratio against the target is the measured time, not a model.
// Peer addresses are unused TEST-NET addresses (198.18.x.y) inside namespaces
// that have only loopback: no traffic anywhere is affected. Needs root.
// Everything (agents, namespaces "faultline-bench-<pid>-<N>-<i>", scratch
// dirs) is removed at the end, on failure and on Ctrl-C/SIGTERM; names left
// by a SIGKILLed run are removed by the next run.
//
//   controller_fanout_bench [N...] [--reps R] [--mode halves|isolate|majority-ring|bridge] [--shared-run]
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "bench/controller/bench_hosts.h"
#include "controller/nemesis/partition.h"
#include "controller/run/fan_out.h"

using namespace faultline;

namespace {

std::atomic<bool> g_stop{false};
void on_stop_signal(int) { g_stop.store(true); }

Nanos process_cpu() {
  rusage u{};
  ::getrusage(RUSAGE_SELF, &u);
  auto ns = [](const timeval& t) { return static_cast<Nanos>(t.tv_sec) * 1'000'000'000 + t.tv_usec * 1000LL; };
  return ns(u.ru_utime) + ns(u.ru_stime);
}

double ms(Nanos ns) { return static_cast<double>(ns) / 1e6; }

// Nearest-rank percentile.
double pct(std::vector<Nanos> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  std::size_t rank = static_cast<std::size_t>(std::max(1.0, std::ceil(p / 100.0 * static_cast<double>(v.size()))));
  return ms(v[std::min(rank, v.size()) - 1]);
}

struct Samples {
  std::vector<Nanos> wall;
  Nanos agent_cpu = 0;     // agents' own
  Nanos program_cpu = 0;   // the iptables programs they ran
  Nanos controller_cpu = 0;
  int errors = 0;
  std::string first_error;
};

struct Row {
  int n = 0;
  std::size_t peers = 0;  // largest peer list of one agent
  Samples apply[2], heal[2];  // [0] fan-out, [1] sequential
  std::uint64_t rss = 0;
};

}  // namespace

int main(int argc, char** argv) {
  std::vector<int> sizes;
  int reps = 10;
  std::string mode = "halves";
  bool shared_run = false;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--reps" && i + 1 < argc) reps = std::max(1, std::atoi(argv[++i]));
    else if (a == "--mode" && i + 1 < argc) mode = argv[++i];
    else if (a == "--shared-run") shared_run = true;
    else if (std::atoi(a.c_str()) >= 2) sizes.push_back(std::atoi(a.c_str()));
    else {
      std::fprintf(stderr,
                   "usage: controller_fanout_bench [N...] [--reps R] [--mode halves|isolate|majority-ring|bridge] "
                   "[--shared-run]\n");
      return 254;
    }
  }
  if (sizes.empty()) sizes = {5, 50, 200};
  if (::geteuid() != 0) {
    std::fprintf(stderr, "controller_fanout_bench: run as root (it creates network and mount namespaces)\n");
    return 1;
  }
  struct sigaction sa {};
  sa.sa_handler = on_stop_signal;
  ::sigaction(SIGINT, &sa, nullptr);
  ::sigaction(SIGTERM, &sa, nullptr);
  ::signal(SIGPIPE, SIG_IGN);

  const std::string base = "faultline-bench";
  bench::BenchHosts::remove_stale(base, std::filesystem::temp_directory_path());
  const unsigned cpus = std::max(1u, std::thread::hardware_concurrency());
  std::printf("controller_fanout_bench: a partition applied and healed on N agents, the controller's fan-out\n"
              "(controller::fan_out, one thread per agent, as `faultline run`) vs one agent after another.\n");
  std::printf("each agent: its own network namespace (loopback, 127.0.0.1:%u)%s\n", bench::BenchHosts::kPort,
              shared_run ? "; all share the host's /run, so one iptables lock for all (--shared-run)"
                         : " and its own mount namespace with a private /run:\nits iptables locks are its "
                           "own, as on a real host (iptables locks are files, not per network namespace)");
  std::printf("partition: mode %s over all N nodes (controller::compute_grudge + partition_specs), unused TEST-NET "
              "peers\n",
              mode.c_str());
  std::printf("%d repetitions per N after one untimed round; ms, p50/p99 (nearest rank); machine: %u CPUs shared by "
              "all agents\n\n",
              reps, cpus);
  std::fflush(stdout);

  std::vector<Row> rows;
  int exit_code = 0;
  for (int n : sizes) {
    if (g_stop) break;
    bench::HostsOptions options;
    options.agent_binary = std::string(FAULTLINE_BIN_DIR) + "/faultline-agent";
    options.prefix = fmt::format("{}-{}-{}", base, ::getpid(), n);
    options.scratch = std::filesystem::temp_directory_path() / options.prefix;
    options.shared_run = shared_run;
    options.stop = &g_stop;
    Nanos t_up = monotonic_now();
    auto hosts = bench::BenchHosts::start(n, options);
    if (!hosts) {
      std::fprintf(stderr, "N=%d: %s\n", n, hosts.error().message.c_str());
      exit_code = 1;
      break;
    }
    auto& clients = (*hosts)->clients();
    Row row;
    row.n = n;
    row.rss = (*hosts)->agents_rss();
    std::fprintf(stderr, "N=%d: %d agents up in %.1f s, %.0f MiB resident in total\n", n, n, ms(monotonic_now() - t_up) / 1000,
                 static_cast<double>(row.rss) / (1 << 20));

    // The partition as the runner computes it.
    std::vector<std::string> nodes;
    std::map<std::string, std::string> addresses;
    std::map<std::string, std::size_t> index;
    for (int i = 0; i < n; ++i) {
      nodes.push_back(fmt::format("n{}", i + 1));
      addresses[nodes.back()] = fmt::format("198.18.{}.{}", i / 250, i % 250 + 1);
      index[nodes.back()] = static_cast<std::size_t>(i);
    }
    controller::Rng rng(42);
    auto grudge = controller::compute_grudge({{"mode", mode}}, nodes, nodes, rng);
    if (!grudge) {
      std::fprintf(stderr, "partition: %s\n", grudge.error().message.c_str());
      exit_code = 254;
      break;
    }
    auto specs = controller::partition_specs(*grudge, addresses);
    std::vector<std::pair<std::size_t, nlohmann::json>> targets;  // agent index, its spec
    for (const auto& [node, spec] : specs) {
      targets.emplace_back(index[node], spec);
      row.peers = std::max(row.peers, spec["peers"].size());
    }
    const std::optional<Nanos> lease = Nanos{60'000'000'000};

    std::vector<std::string> ids(targets.size());
    auto step = [&](Samples& s, bool concurrent, auto&& one) {
      std::vector<std::string> errors(targets.size());
      auto cpu0 = (*hosts)->agents_cpu();
      Nanos self0 = process_cpu();
      Nanos t0 = monotonic_now();
      if (concurrent) controller::fan_out(targets.size(), [&](std::size_t k) { one(k, errors[k]); });
      else for (std::size_t k = 0; k < targets.size(); ++k) one(k, errors[k]);
      Nanos t1 = monotonic_now();
      s.wall.push_back(t1 - t0);
      s.controller_cpu += process_cpu() - self0;
      auto cpu1 = (*hosts)->agents_cpu();
      s.agent_cpu += cpu1.own - cpu0.own;
      s.program_cpu += cpu1.programs - cpu0.programs;
      for (const auto& e : errors)
        if (!e.empty() && s.errors++ == 0) s.first_error = e;
    };
    auto apply_one = [&](std::size_t k, std::string& error) {
      auto parsed = faults::FaultSpec::parse(targets[k].second);
      if (!parsed) {
        error = parsed.error().message;
        return;
      }
      auto applied = clients[targets[k].first]->apply(*parsed, lease);
      if (!applied) error = fmt::format("agent {}: apply: {}", targets[k].first, applied.error().message);
      else ids[k] = applied->id;
    };
    auto heal_one = [&](std::size_t k, std::string& error) {
      if (ids[k].empty()) return;
      if (auto r = clients[targets[k].first]->heal(ids[k]); !r)
        error = fmt::format("agent {}: heal: {}", targets[k].first, r.error().message);
      ids[k].clear();
    };
    // One untimed round first: an agent's first partition opens its netlink sockets
    // and asks `iptables-restore --version` once per process.
    {
      Samples warm;
      step(warm, true, apply_one);
      step(warm, true, heal_one);
      if (warm.errors) std::fprintf(stderr, "N=%d: warm-up: %d errors, first: %s\n", n, warm.errors, warm.first_error.c_str());
    }
    for (int r = 0; r < reps && !g_stop; ++r) {
      for (int m : {r % 2, 1 - r % 2}) {
        step(row.apply[m], m == 0, apply_one);
        if (r == 0 && m == r % 2) {  // once per N: the rules really are there
          auto listed = clients[targets[0].first]->list();
          if (!listed || listed->size() != 1)
            std::fprintf(stderr, "N=%d: agent %zu does not list the applied partition\n", n, targets[0].first);
        }
        step(row.heal[m], m == 0, heal_one);
      }
    }
    // Every agent must be clean again.
    std::atomic<int> dirty{0};
    controller::fan_out(clients.size(), [&](std::size_t i) {
      auto listed = clients[i]->list();
      if (!listed || !listed->empty()) dirty++;
    });
    for (auto* s : {&row.apply[0], &row.apply[1], &row.heal[0], &row.heal[1]})
      if (s->errors) {
        std::fprintf(stderr, "N=%d: %d errors, first: %s\n", n, s->errors, s->first_error.c_str());
        exit_code = 1;
      }
    if (dirty) {
      std::fprintf(stderr, "N=%d: %d agents still list faults after heal\n", n, dirty.load());
      exit_code = 1;
    }
    (*hosts)->teardown();
    rows.push_back(std::move(row));
  }

  if (!rows.empty()) {
    auto cell = [](const Samples& s) { return fmt::format("{:7.1f} / {:7.1f}", pct(s.wall, 50), pct(s.wall, 99)); };
    auto fan = [](const Row& r) { return pct(r.apply[0].wall, 50) + pct(r.heal[0].wall, 50); };
    std::printf("%5s %6s | %-17s %-17s | %-17s %-17s | %s\n", "N", "peers", "apply fan-out", "apply one-by-one",
                "heal fan-out", "heal one-by-one", "one-by-one/fan-out");
    std::printf("%5s %6s | %-17s %-17s | %-17s %-17s | %s\n", "", "/agent", "    p50 /     p99", "    p50 /     p99",
                "    p50 /     p99", "    p50 /     p99", "(apply+heal p50)");
    for (const auto& r : rows) {
      double seq = pct(r.apply[1].wall, 50) + pct(r.heal[1].wall, 50);
      std::printf("%5d %6zu | %-17s %-17s | %-17s %-17s | %.1fx\n", r.n, r.peers, cell(r.apply[0]).c_str(),
                  cell(r.apply[1]).c_str(), cell(r.heal[0]).c_str(), cell(r.heal[1]).c_str(),
                  seq / std::max(0.001, fan(r)));
    }

    // Where the fan-out's time goes: CPU per agent per step, the least time
    // all agents' CPU takes on this machine's CPUs, the controller's share.
    auto per_agent = [](Nanos total, const Samples& s, const Row& r) {
      return s.wall.empty() ? 0.0 : ms(total) / static_cast<double>(s.wall.size()) / r.n;
    };
    std::printf("\nfan-out, where the time goes (ms; CPU per agent per step, averaged):\n");
    std::printf("%5s | %-27s | %-27s | %-15s | %-15s | %s\n", "N", "apply CPU: agent + iptables", "heal CPU: agent + iptables",
                "cpu floor", "controller CPU", "agent RSS");
    std::printf("%5s | %-27s | %-27s | %-15s | %-15s | %s\n", "", "", "", "apply /  heal", "per agent a / h", "MiB each");
    for (const auto& r : rows) {
      const auto &a = r.apply[0], &h = r.heal[0];
      double a_cpu = per_agent(a.agent_cpu + a.program_cpu, a, r), h_cpu = per_agent(h.agent_cpu + h.program_cpu, h, r);
      std::printf("%5d | %7.2f + %5.2f = %7.2f | %7.2f + %5.2f = %7.2f | %6.1f / %6.1f | %5.2f / %5.2f  | %.1f\n", r.n,
                  per_agent(a.agent_cpu, a, r), per_agent(a.program_cpu, a, r), a_cpu, per_agent(h.agent_cpu, h, r),
                  per_agent(h.program_cpu, h, r), h_cpu, a_cpu * r.n / cpus, h_cpu * r.n / cpus,
                  per_agent(a.controller_cpu, a, r), per_agent(h.controller_cpu, h, r),
                  static_cast<double>(r.rss) / r.n / (1 << 20));
    }

    const Row& first = rows.front();
    std::printf("\nfan-out time(N) / time(N=%d), p50 (N=200 within 5x of N=5)\n", first.n);
    std::printf("%5s | %7s %7s %11s | %-22s | %s\n", "N", "apply", "heal", "apply+heal", "cpu floor / time(first)",
                "verdict");
    for (const auto& r : rows) {
      double a = pct(r.apply[0].wall, 50) / std::max(0.001, pct(first.apply[0].wall, 50));
      double h = pct(r.heal[0].wall, 50) / std::max(0.001, pct(first.heal[0].wall, 50));
      double b = fan(r) / std::max(0.001, fan(first));
      auto floor_of = [&](const Samples& s) { return per_agent(s.agent_cpu + s.program_cpu, s, r) * r.n / cpus; };
      double floor_ratio = (floor_of(r.apply[0]) + floor_of(r.heal[0])) / std::max(0.001, fan(first));
      std::printf("%5d | %6.1fx %6.1fx %10.1fx | %21.1fx | %s\n", r.n, a, h, b, floor_ratio,
                  r.n == first.n ? "baseline" : (b <= 5.0 ? "within 5x" : "OVER 5x"));
    }
    std::printf("\ncpu floor = the agents' CPU for the step / %u CPUs: no schedule of N agents' work on this\n"
                "machine finishes sooner. N real hosts each run their own agent's work, in parallel.\n",
                cpus);
  }
  if (g_stop) {
    std::fprintf(stderr, "controller_fanout_bench: interrupted; everything removed\n");
    return 2;
  }
  return exit_code;
}
