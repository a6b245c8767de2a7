// partition_apply_bench: one agent's own cost of a partition, without the
// agent: IptablesPartition plan + apply and heal (as the agent's dispatcher
// calls them) in a fresh network namespace of this process, for P peers,
// one rule per peer and direction versus one ip set per fault
// (partition.cpp), side by side. Wall time and this thread's CPU
// (CLOCK_THREAD_CPUTIME_ID, user+system: the kernel's nf_tables/ip_set work is system
// time of the calling thread), medians over R repetitions after one untimed
// round. What controller_fanout_bench's N agents each pay per step, minus
// the request path (protocol, journal). Needs root; touches only its own
// namespace (gone when it exits). Peers are unused TEST-NET addresses.
//
//   partition_apply_bench [P...] [--reps R]      (default P = 1 4 8 16 32 100 1000, R = 50)
#include <sched.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "common/units.h"
#include "faults/net/iptables_mechanisms.h"

using namespace faultline;

namespace {

Nanos thread_cpu() {
  timespec t{};
  ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return static_cast<Nanos>(t.tv_sec) * 1'000'000'000 + t.tv_nsec;
}

double median_us(std::vector<Nanos> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return static_cast<double>(v[v.size() / 2]) / 1e3;
}

struct Figures {
  std::vector<Nanos> apply_wall, apply_cpu, heal_wall, heal_cpu;
  int errors = 0;
  std::string first_error;
};

// One partition over `peers` peers; with_set false: the record without a
// set, as plan writes it for few peers (one rule per peer and direction).
void once(int peers, bool with_set, Figures& f, bool timed) {
  nlohmann::json spec{{"kind", "partition"}, {"peers", nlohmann::json::array()}};
  for (int i = 0; i < peers; ++i) spec["peers"].push_back(fmt::format("198.18.{}.{}", 10 + i / 250, i % 250 + 1));
  faults::HostContext host;
  host.exemptions.push_back({"127.0.0.1", 7450});
  faults::net::IptablesPartition mechanism;
  auto error = [&](const std::string& e) {
    if (f.errors++ == 0) f.first_error = e;
  };
  Nanos w0 = monotonic_now(), c0 = thread_cpu();
  auto parsed = faults::FaultSpec::parse(spec);
  if (!parsed) return error(parsed.error().message);
  auto record = mechanism.plan(*parsed, host);
  if (!record) return error(record.error().message);
  // Either form for any P (plan picks one by P; both are measured here).
  if (!with_set) record->erase("set");
  else if (!record->contains("set")) (*record)["set"] = "faultline-" + record->value("rule_id", "");
  auto applied = mechanism.apply(*record, host);
  Nanos w1 = monotonic_now(), c1 = thread_cpu();
  if (!applied) return error(applied.error().message);
  auto healed = mechanism.heal(*record, host);
  Nanos w2 = monotonic_now(), c2 = thread_cpu();
  if (!healed) return error(healed.error().message);
  if (!timed) return;
  f.apply_wall.push_back(w1 - w0);
  f.apply_cpu.push_back(c1 - c0);
  f.heal_wall.push_back(w2 - w1);
  f.heal_cpu.push_back(c2 - c1);
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<int> sizes;
  int reps = 50;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--reps" && i + 1 < argc) reps = std::max(1, std::atoi(argv[++i]));
    else if (std::atoi(a.c_str()) >= 1) sizes.push_back(std::atoi(a.c_str()));
    else {
      std::fprintf(stderr, "usage: partition_apply_bench [P...] [--reps R]\n");
      return 254;
    }
  }
  if (sizes.empty()) sizes = {1, 4, 8, 16, 32, 100, 1000};
  if (::geteuid() != 0 || ::unshare(CLONE_NEWNET) != 0) {
    std::fprintf(stderr, "partition_apply_bench: run as root (it needs a network namespace of its own)\n");
    return 1;
  }
  spdlog::set_level(spdlog::level::warn);
  std::printf("partition_apply_bench: plan+apply and heal of one partition in a fresh network namespace,\n"
              "one rule per peer and direction vs one ip set; median of %d, microseconds (wall / this thread's CPU)\n\n",
              reps);
  std::printf("%6s | %-23s %-23s | %-23s %-23s\n", "peers", "apply per-peer rules", "apply one set",
              "heal per-peer rules", "heal one set");
  int exit_code = 0;
  for (int peers : sizes) {
    Figures f[2];
    for (int m : {0, 1}) once(peers, m == 1, f[m], false);  // first use: iptables-nft makes its tables
    for (int r = 0; r < reps; ++r)
      for (int m : {r % 2, 1 - r % 2}) once(peers, m == 1, f[m], true);
    auto cell = [](const std::vector<Nanos>& w, const std::vector<Nanos>& c) {
      return fmt::format("{:9.0f} / {:9.0f}", median_us(w), median_us(c));
    };
    std::printf("%6d | %-23s %-23s | %-23s %-23s\n", peers, cell(f[0].apply_wall, f[0].apply_cpu).c_str(),
                cell(f[1].apply_wall, f[1].apply_cpu).c_str(), cell(f[0].heal_wall, f[0].heal_cpu).c_str(),
                cell(f[1].heal_wall, f[1].heal_cpu).c_str());
    for (const auto& x : f)
      if (x.errors) {
        std::fprintf(stderr, "P=%d: %d errors, first: %s\n", peers, x.errors, x.first_error.c_str());
        exit_code = 1;
      }
  }
  return exit_code;
}
