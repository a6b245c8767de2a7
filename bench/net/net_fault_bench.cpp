// Prints, side by side, p50/p99 of the time from request to network fault in
// effect: through faultline's mechanisms versus one iptables/tc command per
// rule, as Jepsen (iptables -A ... per peer over SSH), chaosd and Pumba (tc
// per qdisc/filter) do. Runs in scratch network namespaces; needs root.
// Usage: net_fault_bench [iterations]   (default 40)
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <string>
#include <vector>

#include "faults/net/command.h"
#include "faults/net/iptables_mechanisms.h"
#include "faults/net/tbf.h"
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

}  // namespace

int main(int argc, char** argv) {
  int iterations = argc > 1 ? std::atoi(argv[1]) : 40;
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
  row("partition 2 peers (1 batch + conntrack cut)", ours, "4x iptables -A (no conntrack cut, Jepsen-like)", base);
  auto with_cut = rules;
  for (const auto& p : {p1, p2}) {
    with_cut.push_back({"conntrack", "-D", "-s", p});
    with_cut.push_back({"conntrack", "-D", "-d", p});
  }
  Stats base_cut = measure(iterations, [&] { return run_all(with_cut); }, [&] { run_all(undo); });
  row("", ours, "4x iptables -A + 4x conntrack -D (same effect)", base_cut);

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
  std::printf("target: >= 20x (ratio = per-command p50 / faultline p50)\n");
  return 0;
}
