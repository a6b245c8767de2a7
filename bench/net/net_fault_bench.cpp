// Prints, side by side, p50/p99 of the time from request to network fault in
// effect: through faultline's mechanisms versus one iptables/tc command per
// rule, as Jepsen (iptables -A ... per peer over SSH), chaosd and Pumba (tc
// per qdisc/filter) do. Runs in scratch network namespaces; needs root.
// The partition and delay rows are also measured through a real
// faultline-agent (spawned in the namespace) and a real AgentClient: request
// sent until the agent's reply that the fault is applied (journaled, rules
// committed, for delay the shaper's queue bound) - the same "in effect" as
// the mechanism rows, whose apply() returns once the rules are committed.
// The delay is also checked, untimed, by the RTT of UDP probes.
// The ingress variants ("direction":"ingress": delay, loss, bandwidth on what
// the node receives) are timed through the mechanism the registry chooses
// here, beside the commands a command-driven tool would run for the same.
// The same run then prints the NFQUEUE shaper's sustained packet rate with a
// 10 ms delay and its delay error p50/p99 (bench/shaper/shaper_bench).
// Usage: net_fault_bench [iterations (default 40)] [shaper seconds per rate (default 1; 0 = skip)]
#include <fcntl.h>
#include <sched.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "agent/client/agent_client.h"
#include "faults/net/command.h"
#include "faults/net/iptables_mechanisms.h"
#include "faults/net/shaper/shaper.h"
#include "faults/net/shaper/shaper_mechanism.h"
#include "faults/net/tbf.h"
#include "faults/registry.h"
#include "tests/faults/net/shaper/udp_probe.h"
#include "tests/support/netns.h"

using namespace faultline;
using faults::net::run_command;

namespace {

using Clock = std::chrono::steady_clock;

struct Stats {
  double p50 = 0, p99 = 0;
};

Stats stats(std::vector<double> ms) {
  std::sort(ms.begin(), ms.end());
  auto at = [&](double q) { return ms[std::min(ms.size() - 1, static_cast<std::size_t>(q * (ms.size() - 1) + 0.5))]; };
  return {at(0.50), at(0.99)};
}

// Times `apply` (the request until the fault is in effect); `undo` is not timed.
Stats measure(int iterations, const std::function<bool()>& apply, const std::function<void()>& undo) {
  std::vector<double> ms;
  for (int i = -3; i < iterations; ++i) {  // 3 warm-up rounds
    auto start = Clock::now();
    bool ok = apply();
    double elapsed = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
    undo();
    if (!ok) {
      std::fprintf(stderr, "net_fault_bench: a run failed\n");
      std::exit(1);
    }
    if (i >= 0) ms.push_back(elapsed);
  }
  return stats(ms);
}

bool run_all(const std::vector<std::vector<std::string>>& commands) {
  for (const auto& c : commands) {
    auto r = run_command(c);
    if (!r || r->exit_code != 0) {
      if (c[0] != "conntrack") return false;  // conntrack -D exits 1 when nothing matched
    }
  }
  return true;
}

void row(const char* name, Stats ours, const char* baseline_name, Stats base) {
  std::printf("%-44s %8.2f %8.2f   %-48s %8.2f %8.2f   %6.1fx\n", name, ours.p50, ours.p99, baseline_name, base.p50,
              base.p99, base.p50 / ours.p50);
}

std::string fmt_rtt(const char* where, double rtt) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "agent (journal %s) %.2f", where, rtt);
  return buf;
}

double median(std::vector<double> xs) {
  if (xs.empty()) return -1;
  std::sort(xs.begin(), xs.end());
  return xs[xs.size() / 2];
}

// --delayer mode: the userspace delayer a command-driven tool would start for
// a delay where the kernel has no netem: binds NFQUEUE `queue`, delays what it
// gets as `spec` says, prints "ready", runs until its stdin closes.
int run_delayer(const std::string& queue, const std::string& spec_json) {
  faults::shaper::Shaper::Options options;
  options.first_queue = static_cast<std::uint16_t>(std::atoi(queue.c_str()));
  options.queue_candidates = 1;
  faults::shaper::Shaper shaper(options);
  auto spec = faults::FaultSpec::parse_text(spec_json);
  if (!spec) return 2;
  auto fault = faults::shaper::ShaperFault::parse(*spec, "eth0");
  if (!fault || !shaper.add("delayer", *fault)) return 3;
  std::printf("ready\n");
  std::fflush(stdout);
  char c;
  while (::read(0, &c, 1) > 0) {
  }
  return 0;
}

// Starts this program as a delayer (fork/exec) and waits for its "ready".
struct Delayer {
  pid_t pid = -1;
  int to_child = -1;
  bool start(const std::string& queue, const std::string& spec_json) {
    int in[2], out[2];
    if (::pipe2(in, O_CLOEXEC) != 0 || ::pipe2(out, O_CLOEXEC) != 0) return false;
    pid = ::fork();
    if (pid == 0) {
      ::dup2(in[0], 0);
      ::dup2(out[1], 1);
      ::execl("/proc/self/exe", "net_fault_bench", "--delayer", queue.c_str(), spec_json.c_str(), nullptr);
      ::_exit(127);
    }
    ::close(in[0]);
    ::close(out[1]);
    to_child = in[1];
    char buf[16] = {};
    ssize_t n = ::read(out[0], buf, sizeof buf - 1);
    ::close(out[0]);
    return pid > 0 && n > 0 && std::string(buf).rfind("ready", 0) == 0;
  }
  void stop() {
    if (to_child >= 0) ::close(to_child);
    to_child = -1;
    if (pid > 0) ::waitpid(pid, nullptr, 0);
    pid = -1;
  }
};

const char* kToken = "net-fault-bench-secret";

// A real faultline-agent in the node's namespace, its journal in state_dir.
struct Agent {
  testing::NetnsCluster* cluster = nullptr;
  pid_t pid = -1;
  std::unique_ptr<agent::AgentClient> client;

  static std::unique_ptr<Agent> start(testing::NetnsCluster& c, int node, const std::filesystem::path& dir,
                                      const std::filesystem::path& state_dir) {
    auto a = std::make_unique<Agent>();
    a->cluster = &c;
    std::filesystem::create_directories(dir);
    std::ofstream(dir / "token") << kToken << "\n";
    ::chmod((dir / "token").c_str(), 0600);
    std::filesystem::remove_all(state_dir);
    auto pid = c.spawn(c.node(node).ns,
                       {FAULTLINE_AGENT_BIN, "--listen", c.node(node).address + ":7450", "--token-file",
                        (dir / "token").string(), "--state-dir", state_dir.string(), "--interface", "eth0",
                        "--log-level", "warn"},
                       (dir / "agent.log").string());
    if (!pid) return nullptr;
    a->pid = *pid;
    for (int k = 0; k < 500 && !std::filesystem::exists(state_dir / "agent.port"); ++k)
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    testing::ScopedNetns in_hub(c.hub_ns());  // the controller's position
    auto client = agent::AgentClient::connect({c.node(node).address, 7450, kToken});
    if (!client) {
      std::fprintf(stderr, "net_fault_bench: agent: %s (log %s)\n", client.error().message.c_str(),
                   (dir / "agent.log").c_str());
      c.kill(a->pid);
      return nullptr;
    }
    a->client = std::move(*client);
    return a;
  }
  ~Agent() {
    if (client) {
      (void)client->heal_all();
      client->close();
    }
    if (pid > 0) cluster->kill(pid);
  }
};

// Median RTT (ms) of UDP probes from the calling thread's namespace to an echo.
double probe_rtt_ms(const std::string& addr, std::uint16_t port) {
  return median(testing::shaper_probe::ping_rtts_ms(addr, port, 7, 3000, 300));
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 4 && std::string(argv[1]) == "--delayer") return run_delayer(argv[2], argv[3]);
  int iterations = argc > 1 ? std::atoi(argv[1]) : 40;
  std::string shaper_seconds = argc > 2 ? argv[2] : "1";
  int original_ns = ::open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
  auto cluster = testing::NetnsCluster::create(3);
  if (!cluster) {
    std::fprintf(stderr, "net_fault_bench: %s (run as root)\n", cluster.error().message.c_str());
    return 1;
  }
  const auto& c = **cluster;
  const std::string p1 = c.node(1).address, p2 = c.node(2).address;
  testing::ScopedNetns in_node(c.node(0).ns);
  if (!in_node.ok()) {
    std::fprintf(stderr, "net_fault_bench: %s\n", in_node.error().c_str());
    return 1;
  }
  faults::HostContext host;
  host.default_interface = "eth0";
  host.exemptions.push_back({"", 7070});
  auto spec = [](const std::string& json) { return *faults::FaultSpec::parse_text(json); };

  std::printf("time from request to fault in effect, ms, %d runs each (p50 p99), in a scratch namespace\n", iterations);
  std::printf("%-44s %8s %8s   %-48s %8s %8s   %7s\n", "faultline", "p50", "p99", "one command per rule", "p50", "p99",
              "ratio");

  // 1. Partition from two peers, both directions.
  faults::net::IptablesPartition partition;
  faults::HealRecord record;
  auto part_spec = spec(R"({"kind":"partition","peers":[")" + p1 + R"(",")" + p2 + R"("]})");
  Stats ours = measure(
      iterations,
      [&] {
        auto planned = partition.plan(part_spec, host);
        if (!planned) return false;
        record = *planned;
        return partition.apply(record, host).ok();
      },
      [&] { (void)partition.heal(record, host); });
  std::vector<std::vector<std::string>> rules, undo;
  for (const auto& p : {p1, p2}) {
    rules.push_back({"iptables", "-w", "-A", "INPUT", "-s", p, "-j", "DROP"});
    rules.push_back({"iptables", "-w", "-A", "OUTPUT", "-d", p, "-j", "DROP"});
    undo.push_back({"iptables", "-w", "-D", "INPUT", "-s", p, "-j", "DROP"});
    undo.push_back({"iptables", "-w", "-D", "OUTPUT", "-d", p, "-j", "DROP"});
  }
  Stats base = measure(iterations, [&] { return run_all(rules); }, [&] { run_all(undo); });
  const Stats base_partition = base;
  row("partition 2 peers (1 batch + conntrack cut)", ours, "4x iptables -A (no conntrack cut, Jepsen-like)", base);
  auto with_cut = rules;
  for (const auto& p : {p1, p2}) {
    with_cut.push_back({"conntrack", "-D", "-s", p});
    with_cut.push_back({"conntrack", "-D", "-d", p});
  }
  Stats base_cut = measure(iterations, [&] { return run_all(with_cut); }, [&] { run_all(undo); });
  row("", ours, "4x iptables -A + 4x conntrack -D (same effect)", base_cut);

  // 1b. The partition variants: one-way, only new connections, one port,
  // both; each beside the commands a Jepsen-like tool would run.
  struct Variant {
    const char* ours;
    std::string spec;
    const char* theirs;
    std::vector<std::string> match;  // appended to -s/-d PEER
    bool in = true, out = true;
  };
  const std::vector<Variant> variants = {
      {"partition 2 peers, direction in", R"(,"direction":"in")", "2x iptables -A INPUT", {}, true, false},
      {"partition 2 peers, keep_established", R"(,"keep_established":true)", "4x iptables -A -m conntrack NEW",
       {"-m", "conntrack", "--ctstate", "NEW"}},
      {"partition 2 peers, tcp port 2380", R"(,"ports":[2380],"protocol":"tcp")", "4x iptables -A -p tcp multiport",
       {"-p", "tcp", "-m", "multiport", "--ports", "2380"}},
      {"partition 2 peers, direction out", R"(,"direction":"out")", "2x iptables -A OUTPUT", {}, false, true},
      {"partition 2 peers, keep_established, tcp 2380", R"(,"keep_established":true,"ports":[2380],"protocol":"tcp")",
       "4x iptables -A -p tcp multiport --syn", {"-p", "tcp", "-m", "multiport", "--ports", "2380", "--syn"}},
  };
  for (const auto& v : variants) {
    auto variant_spec = spec(R"({"kind":"partition","peers":[")" + p1 + R"(",")" + p2 + R"("])" + v.spec + "}");
    ours = measure(
        iterations,
        [&] {
          auto planned = partition.plan(variant_spec, host);
          if (!planned) return false;
          record = *planned;
          return partition.apply(record, host).ok();
        },
        [&] { (void)partition.heal(record, host); });
    std::vector<std::vector<std::string>> add, del;
    for (const auto& p : {p1, p2})
      for (auto [wanted, chain, flag] : {std::tuple{v.in, "INPUT", "-s"}, std::tuple{v.out, "OUTPUT", "-d"}}) {
        if (!wanted) continue;
        std::vector<std::string> rule = {"iptables", "-w", "-A", chain, flag, p};
        rule.insert(rule.end(), v.match.begin(), v.match.end());
        rule.insert(rule.end(), {"-j", "DROP"});
        add.push_back(rule);
        rule[2] = "-D";
        del.push_back(rule);
      }
    base = measure(iterations, [&] { return run_all(add); }, [&] { run_all(del); });
    row(v.ours, ours, v.theirs, base);
  }

  // 2. Bandwidth 1mbit on the interface, and towards two destinations only.
  faults::net::TbfBandwidth tbf;
  auto bw_spec = spec(R"({"kind":"bandwidth","rate":"1mbit"})");
  auto apply_tbf = [&](const faults::FaultSpec& s) {
    auto planned = tbf.plan(s, host);
    if (!planned) return false;
    record = *planned;
    auto applied = tbf.apply(record, host);
    if (!applied) std::fprintf(stderr, "%s\n", applied.error().message.c_str());
    return applied.ok();
  };
  ours = measure(iterations, [&] { return apply_tbf(bw_spec); }, [&] { (void)tbf.heal(record, host); });
  std::vector<std::vector<std::string>> tc_del = {{"tc", "qdisc", "del", "dev", "eth0", "root"}};
  base = measure(
      iterations,
      [&] {
        return run_all({{"tc", "qdisc", "add", "dev", "eth0", "root", "handle", "fa17:", "tbf", "rate", "1mbit", "burst",
                         "3028", "latency", "50ms"}});
      },
      [&] { run_all(tc_del); });
  row("bandwidth 1mbit (libnl tbf)", ours, "1x tc qdisc add tbf (Pumba-like)", base);

  auto bw_dst = spec(R"({"kind":"bandwidth","rate":"1mbit","destinations":[")" + p1 + R"(",")" + p2 + R"("]})");
  ours = measure(iterations, [&] { return apply_tbf(bw_dst); }, [&] { (void)tbf.heal(record, host); });
  std::vector<std::vector<std::string>> tc_dst = {
      {"tc", "qdisc", "add", "dev", "eth0", "root", "handle", "fa17:", "htb", "default", "0"},
      {"tc", "class", "add", "dev", "eth0", "parent", "fa17:", "classid", "fa17:1", "htb", "rate", "32gbit"},
      {"tc", "qdisc", "add", "dev", "eth0", "parent", "fa17:1", "handle", "fa18:", "tbf", "rate", "1mbit", "burst",
       "3028", "latency", "50ms"}};
  for (const auto& p : {p1, p2})
    tc_dst.push_back({"tc", "filter", "add", "dev", "eth0", "parent", "fa17:", "protocol", "ip", "prio", "1", "u32",
                      "match", "ip", "dst", p + "/32", "flowid", "fa17:1"});
  base = measure(iterations, [&] { return run_all(tc_dst); }, [&] { run_all(tc_del); });
  row("bandwidth 1mbit to 2 peers (libnl htb+u32)", ours, "5x tc (qdisc, class, qdisc, 2 filters)", base);

  // 3. Loss 30% (on this kernel through the iptables statistic match).
  faults::net::IptablesStatisticLoss loss;
  auto loss_spec = spec(R"({"kind":"loss","percent":30,"destinations":[")" + p1 + R"(",")" + p2 + R"("]})");
  ours = measure(
      iterations,
      [&] {
        auto planned = loss.plan(loss_spec, host);
        if (!planned) return false;
        record = *planned;
        return loss.apply(record, host).ok();
      },
      [&] { (void)loss.heal(record, host); });
  std::vector<std::vector<std::string>> loss_rules, loss_undo;
  for (const auto& p : {p1, p2}) {
    std::vector<std::string> r = {"-d", p, "-m", "statistic", "--mode", "random", "--probability", "0.3", "-j", "DROP"};
    std::vector<std::string> add = {"iptables", "-w", "-A", "OUTPUT"}, del = {"iptables", "-w", "-D", "OUTPUT"};
    add.insert(add.end(), r.begin(), r.end());
    del.insert(del.end(), r.begin(), r.end());
    loss_rules.push_back(add);
    loss_undo.push_back(del);
  }
  base = measure(iterations, [&] { return run_all(loss_rules); }, [&] { run_all(loss_undo); });
  row("loss 30% to 2 peers (iptables statistic)", ours, "2x iptables -A -m statistic", base);

  // 4. Delay 10 ms to the two peers, on this kernel's delay mechanism.
  auto echo = testing::shaper_probe::UdpEcho::start(c.node(1).ns, p1);
  if (!echo) {
    std::fprintf(stderr, "net_fault_bench: %s\n", echo.error().message.c_str());
    return 1;
  }
  const std::uint16_t echo_port = (*echo)->port();
  const std::string delay_json = R"({"kind":"delay","delay":"10ms","destinations":[")" + p1 + R"(",")" + p2 + R"("]})";
  auto delay_spec = spec(delay_json);
  auto delay_mechanism = faults::MechanismRegistry::instance().plan(delay_spec, host);
  std::string delay_via = delay_mechanism ? delay_mechanism->value("mechanism", std::string("?")) : "none";
  double rtt_plain = probe_rtt_ms(p1, echo_port);

  // The command-driven baseline for the same effect on this kernel.
  auto netem = run_command({"tc", "qdisc", "add", "dev", "eth0", "root", "handle", "fa19:", "netem", "delay", "10ms"});
  bool have_netem = netem && netem->exit_code == 0;
  std::string netem_error = !netem ? netem.error().message : netem->err + netem->out;
  while (!netem_error.empty() && (netem_error.back() == '\n' || netem_error.back() == ' ')) netem_error.pop_back();
  if (have_netem) run_all(tc_del);
  std::vector<std::vector<std::string>> delay_rules, delay_undo;
  std::unique_ptr<faults::shaper::Shaper> consumer;  // stands for the userspace delayer a command-driven tool must run
  const char* baseline_name;
  if (have_netem) {
    // chaosd/Pumba: prio qdisc, netem under band 1, one u32 filter per peer.
    delay_rules = {{"tc", "qdisc", "add", "dev", "eth0", "root", "handle", "fa19:", "prio"},
                   {"tc", "qdisc", "add", "dev", "eth0", "parent", "fa19:1", "handle", "fa1a:", "netem", "delay", "10ms"}};
    for (const auto& p : {p1, p2})
      delay_rules.push_back({"tc", "filter", "add", "dev", "eth0", "parent", "fa19:", "protocol", "ip", "prio", "1",
                             "u32", "match", "ip", "dst", p + "/32", "flowid", "fa19:1"});
    delay_undo = tc_del;
    baseline_name = "4x tc (prio, netem, 2 filters; chaosd/Pumba)";
  } else {
    // No sch_netem: the command-driven equivalent of the shaper path is one
    // `iptables -t mangle -A ... -j NFQUEUE` per peer into a queue that a
    // userspace delayer serves. The delayer is started once, untimed (in
    // the baseline's favour): here a second shaper engine on its own queue.
    faults::shaper::Shaper::Options options;
    options.first_queue = static_cast<std::uint16_t>(faults::shaper::kDefaultFirstQueue + 512);
    consumer = std::make_unique<faults::shaper::Shaper>(options);
    auto fault = faults::shaper::ShaperFault::parse(delay_spec, "eth0");
    auto queue = fault ? consumer->add("baseline", *fault) : Result<std::uint16_t>(fault.error());
    if (!queue) {
      std::fprintf(stderr, "net_fault_bench: baseline delayer: %s\n", queue.error().message.c_str());
      return 1;
    }
    for (const auto& p : {p1, p2}) {
      std::vector<std::string> r = {"-o", "eth0", "-d", p, "-j", "NFQUEUE", "--queue-num", std::to_string(*queue),
                                    "--queue-bypass"};
      std::vector<std::string> add = {"iptables", "-w", "-t", "mangle", "-A", "OUTPUT"};
      std::vector<std::string> del = {"iptables", "-w", "-t", "mangle", "-D", "OUTPUT"};
      add.insert(add.end(), r.begin(), r.end());
      del.insert(del.end(), r.begin(), r.end());
      delay_rules.push_back(add);
      delay_undo.push_back(del);
    }
    baseline_name = "2x iptables -t mangle -A -j NFQUEUE";
  }
  double rtt_baseline = -1;
  Stats delay_base = measure(
      iterations, [&] { return run_all(delay_rules); },
      [&] {
        if (rtt_baseline < 0) rtt_baseline = probe_rtt_ms(p1, echo_port);  // untimed: the effect is there
        run_all(delay_undo);
      });

  // The same, with the delayer started per fault (fork/exec + queue bind), as
  // a tool that only runs commands must do when nothing is running yet.
  Stats delay_base_start{};
  std::string delayer_baseline_name;
  if (!have_netem) {
    const std::string queue = std::to_string(faults::shaper::kDefaultFirstQueue + 513);
    std::vector<std::vector<std::string>> rules_q, undo_q;
    for (auto set : {&delay_rules, &delay_undo}) {
      auto& dst = set == &delay_rules ? rules_q : undo_q;
      for (auto command : *set) {
        auto it = std::find(command.begin(), command.end(), "--queue-num");
        if (it != command.end()) *(it + 1) = queue;
        dst.push_back(command);
      }
    }
    Delayer delayer;
    delay_base_start = measure(
        iterations, [&] { return delayer.start(queue, delay_json) && run_all(rules_q); },
        [&] {
          run_all(undo_q);
          delayer.stop();
        });
    delayer_baseline_name = "delayer fork/exec + " + std::string(baseline_name);
  }

  // Through the mechanism, in this process (as the rows above).
  faults::Mechanism* delay_direct = nullptr;
  if (delay_mechanism)
    if (auto found = faults::MechanismRegistry::instance().find("delay", delay_via); found) delay_direct = *found;
  if (!delay_direct) {
    std::fprintf(stderr, "net_fault_bench: no delay mechanism: %s\n",
                 delay_mechanism ? "?" : delay_mechanism.error().message.c_str());
    return 1;
  }
  double rtt_direct = -1;
  ours = measure(
      iterations,
      [&] {
        auto planned = delay_direct->plan(delay_spec, host);
        if (!planned) return false;
        record = *planned;
        auto applied = delay_direct->apply(record, host);
        if (!applied) std::fprintf(stderr, "%s\n", applied.error().message.c_str());
        return applied.ok();
      },
      [&] {
        if (rtt_direct < 0) rtt_direct = probe_rtt_ms(p1, echo_port);
        (void)delay_direct->heal(record, host);
      });
  std::string direct_name = "delay 10ms to 2 peers (" + delay_via + ")";
  row(direct_name.c_str(), ours, baseline_name, delay_base);
  if (!have_netem) row("", ours, delayer_baseline_name.c_str(), delay_base_start);

  // 5. The ingress variants: what the node receives, through the mechanism
  // the registry chooses on this kernel (an IFB device where it has the
  // qdisc; else INPUT rules), beside the commands for the same effect.
  auto ingress_row = [&](const std::string& what, const std::string& json,
                         const std::vector<std::vector<std::string>>& add,
                         const std::vector<std::vector<std::string>>& del, const char* theirs) {
    auto ingress_spec = spec(json);
    auto planned = faults::MechanismRegistry::instance().plan(ingress_spec, host);
    if (!planned) {
      std::printf("%-44s   not available here: %s\n", what.c_str(), planned.error().message.c_str());
      return;
    }
    const std::string via = planned->value("mechanism", std::string("?"));
    auto mechanism = faults::MechanismRegistry::instance().find(ingress_spec.kind, via);
    if (!mechanism) return;
    Stats mine = measure(
        iterations,
        [&] {
          auto again = (*mechanism)->plan(ingress_spec, host);
          if (!again) return false;
          record = *again;
          auto applied = (*mechanism)->apply(record, host);
          if (!applied) std::fprintf(stderr, "%s\n", applied.error().message.c_str());
          return applied.ok();
        },
        [&] { (void)(*mechanism)->heal(record, host); });
    Stats theirs_stats = measure(iterations, [&] { return run_all(add); }, [&] { run_all(del); });
    const std::string name = what + " (" + via + ")";
    row(name.c_str(), mine, theirs, theirs_stats);
  };
  {
    std::vector<std::vector<std::string>> add, del;
    for (const auto& p : {p1, p2}) {
      std::vector<std::string> r = {"-i", "eth0", "-s", p, "-j", "NFQUEUE", "--queue-num",
                                    std::to_string(faults::shaper::kDefaultFirstQueue + 512), "--queue-bypass"};
      std::vector<std::string> a = {"iptables", "-w", "-t", "mangle", "-A", "INPUT"};
      std::vector<std::string> d = {"iptables", "-w", "-t", "mangle", "-D", "INPUT"};
      a.insert(a.end(), r.begin(), r.end());
      d.insert(d.end(), r.begin(), r.end());
      add.push_back(a);
      del.push_back(d);
    }
    ingress_row("delay 10ms ingress from 2 peers",
                R"({"kind":"delay","delay":"10ms","direction":"ingress","destinations":[")" + p1 + R"(",")" + p2 +
                    R"("]})",
                add, del, "2x iptables -t mangle -A INPUT -j NFQUEUE");
  }
  {
    std::vector<std::vector<std::string>> add, del;
    for (const auto& p : {p1, p2}) {
      std::vector<std::string> r = {"-s", p, "-m", "statistic", "--mode", "random", "--probability", "0.3", "-j", "DROP"};
      std::vector<std::string> a = {"iptables", "-w", "-A", "INPUT"}, d = {"iptables", "-w", "-D", "INPUT"};
      a.insert(a.end(), r.begin(), r.end());
      d.insert(d.end(), r.begin(), r.end());
      add.push_back(a);
      del.push_back(d);
    }
    ingress_row("loss 30% ingress from 2 peers",
                R"({"kind":"loss","percent":30,"direction":"ingress","destinations":[")" + p1 + R"(",")" + p2 +
                    R"("]})",
                add, del, "2x iptables -A INPUT -m statistic");
  }
  {
    // What tcconfig/Pumba-style tools run for ingress shaping: an ifb device,
    // the ingress qdisc, a mirred redirect, the qdisc on the ifb.
    const std::vector<std::vector<std::string>> add = {
        {"ip", "link", "add", "flifbbench", "type", "ifb"},
        {"ip", "link", "set", "flifbbench", "up"},
        {"tc", "qdisc", "add", "dev", "eth0", "handle", "ffff:", "ingress"},
        {"tc", "filter", "add", "dev", "eth0", "parent", "ffff:", "protocol", "all", "u32", "match", "u32", "0", "0",
         "action", "mirred", "egress", "redirect", "dev", "flifbbench"},
        {"tc", "qdisc", "add", "dev", "flifbbench", "root", "handle", "fa17:", "tbf", "rate", "1mbit", "burst", "3028",
         "latency", "50ms"}};
    const std::vector<std::vector<std::string>> del = {{"tc", "qdisc", "del", "dev", "eth0", "ingress"},
                                                       {"ip", "link", "del", "flifbbench"}};
    ingress_row("bandwidth 1mbit ingress", R"({"kind":"bandwidth","rate":"1mbit","direction":"ingress"})", add, del,
                "5x ip/tc (ifb, up, ingress, mirred, tbf)");
  }

  // Through a real agent and AgentClient (journal on disk, then on tmpfs).
  const auto scratch = std::filesystem::temp_directory_path() / ("faultline-net-bench-" + std::to_string(::getpid()));
  struct AgentRun {
    const char* where;
    std::filesystem::path state;
  };
  std::vector<AgentRun> runs = {{"disk", scratch / "state"},
                                {"tmpfs", std::filesystem::path("/dev/shm") /
                                              ("faultline-net-bench-" + std::to_string(::getpid()))}};
  std::vector<std::string> agent_notes;
  for (const auto& run : runs) {
    auto agent = Agent::start(**cluster, 0, scratch, run.state);
    if (!agent) return 1;
    std::string fault_id, mechanism;
    double rtt_agent = -1;
    auto through_agent = [&](const faults::FaultSpec& s) {
      auto applied = agent->client->apply(s);
      if (!applied) {
        std::fprintf(stderr, "net_fault_bench: agent apply: %s\n", applied.error().message.c_str());
        return false;
      }
      fault_id = applied->id;
      mechanism = applied->mechanism;
      return true;
    };
    Stats agent_delay = measure(
        iterations, [&] { return through_agent(delay_spec); },
        [&] {
          if (rtt_agent < 0) rtt_agent = probe_rtt_ms(p1, echo_port);
          (void)agent->client->heal(fault_id);
        });
    Stats agent_rtt = measure(iterations, [&] { return agent->client->list().ok(); }, [] {});
    std::string name = "delay, via agent (" + mechanism + ", journal " + run.where + ")";
    row(name.c_str(), agent_delay, baseline_name, delay_base);
    if (!have_netem) row("", agent_delay, delayer_baseline_name.c_str(), delay_base_start);
    Stats agent_part = measure(
        iterations, [&] { return through_agent(part_spec); }, [&] { (void)agent->client->heal(fault_id); });
    name = std::string("partition 2 peers, via agent (journal ") + run.where + ")";
    row(name.c_str(), agent_part, "4x iptables -A (no conntrack cut, Jepsen-like)", base_partition);
    row("", agent_part, "4x iptables -A + 4x conntrack -D (same effect)", base_cut);
    agent_notes.push_back(fmt_rtt(run.where, rtt_agent));
    std::printf("%-44s %8.2f %8.2f   (one request/response round trip, no fault)\n", "  agent round trip: list", agent_rtt.p50,
                agent_rtt.p99);
    agent.reset();
    std::filesystem::remove_all(run.state);
  }
  std::filesystem::remove_all(scratch);
  consumer.reset();

  std::printf("delay mechanism on this kernel: %s; tc netem: %s\n", delay_via.c_str(),
              have_netem ? "works" : ("fails: \"" + netem_error + "\"").c_str());
  std::printf("delay baseline: %s\n",
              have_netem ? "tc prio + netem + u32 filters (what chaosd and Pumba run)"
                         : "no sch_netem here, so a command-driven tool needs NFQUEUE rules per peer (iptables, one "
                           "fork/exec each) and a userspace delayer on the queue: first row with the delayer already "
                           "running (not timed), second with it started (fork/exec + bind) before the rules");
  std::printf("delay in effect (UDP echo RTT to a peer, median of 7): none %.2f ms; baseline %.2f; mechanism %.2f; %s\n",
              rtt_plain, rtt_baseline, rtt_direct, agent_notes.empty() ? "" : (agent_notes[0] + "; " + agent_notes.back()).c_str());
  std::printf("target: >= 20x (ratio = per-command p50 / faultline p50)\n");

  if (std::atof(shaper_seconds.c_str()) > 0 && original_ns >= 0 && ::setns(original_ns, CLONE_NEWNET) == 0) {
    std::printf("\n");
    std::fflush(stdout);
    auto shaper = run_command({SHAPER_BENCH_BIN, shaper_seconds});
    if (!shaper) std::printf("shaper_bench: %s\n", shaper.error().message.c_str());
    else std::printf("%s%s", shaper->out.c_str(), shaper->exit_code ? shaper->err.c_str() : "");
  }
  if (original_ns >= 0) ::close(original_ns);
  return 0;
}
