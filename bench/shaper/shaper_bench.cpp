// shaper_bench: how many packets per second the NFQUEUE shaper sustains with
// a 10 ms delay, and how far from 10 ms each packet's added delay is (p50,
// p99), printed beside the same traffic without the shaper. Needs root: it
// makes two namespaces on a bridge; the shaper runs in a child that entered
// the sender's namespace, as in the agent. One-way latency is measured with
// CLOCK_MONOTONIC at both ends (one host, one clock).
//
//   shaper_bench [seconds-per-rate (default 1)]
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "faults/net/shaper/shaper_mechanism.h"
#include "faults/registry.h"
#include "tests/faults/net/shaper/udp_probe.h"
#include "tests/support/netns.h"

using faultline::testing::NetnsCluster;
namespace probe = faultline::testing::shaper_probe;
namespace faults = faultline::faults;

namespace {

constexpr double kDelayMs = 10.0;
const std::vector<int> kRates = {10'000, 30'000, 60'000, 100'000, 0};  // 0 = as fast as the sender can

double percentile(std::vector<double> xs, double p) {
  if (xs.empty()) return 0;
  std::sort(xs.begin(), xs.end());
  return xs[static_cast<std::size_t>(p * static_cast<double>(xs.size() - 1))];
}

struct Row {
  int offered_rate;
  int sent = 0;
  double send_seconds = 0;
  int delivered = 0;
  double p50 = 0, p99 = 0;  // one-way latency, ms
};

// Runs every rate from a child in the sender's namespace, with the shaper's
// 10 ms delay applied when shaped; returns per-rate send counts and durations.
nlohmann::json send_all(const std::string& ns, const std::string& target, const std::vector<std::uint16_t>& ports,
                        double seconds, bool shaped) {
  auto out = NetnsCluster::run_in_capture(ns, [&]() -> std::string {
    nlohmann::json reply;
    faults::HostContext host;
    host.default_interface = "eth0";
    faults::HealRecord record;
    faults::Mechanism* mechanism = nullptr;
    if (shaped) {
      auto spec = faults::FaultSpec::parse_text(R"({"kind":"delay","delay":"10ms"})");
      auto found = faults::MechanismRegistry::instance().find("delay", faults::shaper::kShaperMechanismName);
      if (!spec || !found) return R"({"error":"no shaper mechanism"})";
      mechanism = *found;
      auto planned = mechanism->plan(*spec, host);
      if (!planned) return nlohmann::json{{"error", planned.error().message}}.dump();
      record = *planned;
      if (auto applied = mechanism->apply(record, host); !applied)
        return nlohmann::json{{"error", applied.error().message}}.dump();
    }
    for (std::size_t i = 0; i < kRates.size(); ++i) {
      int rate = kRates[i];
      int count = rate ? static_cast<int>(rate * seconds) : static_cast<int>(400'000 * seconds);
      int gap_us = rate ? 1'000'000 / rate : 0;
      auto start = faultline::monotonic_now();
      int sent = probe::send_sequence(target, ports[i], count, 64, gap_us);
      double elapsed = static_cast<double>(faultline::monotonic_now() - start) / 1e9;
      reply["runs"].push_back({{"sent", sent}, {"seconds", elapsed}});
      usleep(300'000);  // let the held packets leave before the next rate
    }
    if (shaped) {
      auto stats = faults::shaper::Shaper::shared()->stats();
      reply["stats"] = {{"received", stats.received}, {"released", stats.released}, {"delayed", stats.delayed}};
      if (auto healed = mechanism->heal(record, host); !healed) reply["error"] = healed.error().message;
    }
    return reply.dump();
  });
  if (!out) return {{"error", out.error().message}};
  return nlohmann::json::parse(*out, nullptr, false);
}

std::vector<Row> measure(NetnsCluster& cluster, double seconds, bool shaped, nlohmann::json* stats) {
  const auto& sender = cluster.node(0);
  const auto& receiver = cluster.node(1);
  std::vector<std::unique_ptr<probe::SequenceSink>> sinks;
  std::vector<std::uint16_t> ports;
  for (std::size_t i = 0; i < kRates.size(); ++i) {
    auto sink = probe::SequenceSink::start(receiver.ns, receiver.address);
    if (!sink) {
      std::fprintf(stderr, "shaper_bench: %s\n", sink.error().message.c_str());
      std::exit(1);
    }
    ports.push_back((*sink)->port());
    sinks.push_back(std::move(*sink));
  }
  auto reply = send_all(sender.ns, receiver.address, ports, seconds, shaped);
  if (reply.is_discarded() || reply.contains("error")) {
    std::fprintf(stderr, "shaper_bench: %s\n", reply.is_discarded() ? "child failed" : reply["error"].dump().c_str());
    std::exit(1);
  }
  if (stats && reply.contains("stats")) *stats = reply["stats"];
  std::vector<Row> rows;
  for (std::size_t i = 0; i < kRates.size(); ++i) {
    Row row{kRates[i]};
    row.sent = reply["runs"][i]["sent"];
    row.send_seconds = reply["runs"][i]["seconds"];
    auto arrivals = sinks[i]->collect(200);
    std::vector<double> latency;
    for (const auto& a : arrivals)
      if (a.intact) latency.push_back(static_cast<double>(a.latency_ns) / 1e6);
    row.delivered = static_cast<int>(latency.size());
    row.p50 = percentile(latency, 0.50);
    row.p99 = percentile(latency, 0.99);
    rows.push_back(row);
  }
  return rows;
}

}  // namespace

int main(int argc, char** argv) {
  if (geteuid() != 0) {
    std::fprintf(stderr, "shaper_bench: run as root (it creates network namespaces)\n");
    return 1;
  }
  double seconds = argc > 1 ? std::atof(argv[1]) : 1.0;
  auto cluster = NetnsCluster::create(2);
  if (!cluster) {
    std::fprintf(stderr, "shaper_bench: %s\n", cluster.error().message.c_str());
    return 1;
  }
  auto base = measure(**cluster, seconds, false, nullptr);
  nlohmann::json stats;
  auto shaped = measure(**cluster, seconds, true, &stats);

  std::printf("NFQUEUE shaper, delay 10ms, 64-byte UDP, %.1fs per rate (one-way latency; error = latency - 10ms - baseline p50)\n",
              seconds);
  std::printf("%-10s | %-34s | %-52s\n", "offered", "baseline (no shaper)", "shaper, delay 10ms");
  std::printf("%-10s | %10s %7s %7s %7s | %10s %7s %9s %9s %9s\n", "pkt/s", "sent/s", "deliv%", "p50ms", "p99ms",
              "sent/s", "deliv%", "p50ms", "err p50", "err p99");
  double sustained = 0;
  for (std::size_t i = 0; i < kRates.size(); ++i) {
    const auto& b = base[i];
    const auto& s = shaped[i];
    double b_rate = b.sent / std::max(b.send_seconds, 1e-9);
    double s_rate = s.sent / std::max(s.send_seconds, 1e-9);
    double b_pct = 100.0 * b.delivered / std::max(b.sent, 1);
    double s_pct = 100.0 * s.delivered / std::max(s.sent, 1);
    double err50 = s.p50 - kDelayMs - b.p50;
    double err99 = s.p99 - kDelayMs - b.p50;
    std::string offered = b.offered_rate ? fmt::format("{}", b.offered_rate) : "max";
    std::printf("%-10s | %10.0f %6.1f%% %7.3f %7.3f | %10.0f %6.1f%% %9.3f %9.3f %9.3f\n", offered.c_str(), b_rate,
                b_pct, b.p50, b.p99, s_rate, s_pct, s.p50, err50, err99);
    if (s_pct >= 99.0 && err50 < kDelayMs / 2) sustained = std::max(sustained, s_rate * s_pct / 100.0);
  }
  std::printf("sustained rate through the shaper (>= 99%% delivered, delay error p50 < %.0f ms): %.0f packets/s\n",
              kDelayMs / 2, sustained);
  std::printf("shaper counters: %s\n", stats.dump().c_str());
  return 0;
}
