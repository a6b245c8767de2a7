// reference-bench: throughput of each reference failure detector, in
// events per second (Google Benchmark's items_per_second), for comparison
// with later runs. The breaker's figure is in the checkers bench.
#include <string>
#include <vector>

#include <benchmark/benchmark.h>

#include "checkers/reference/heartbeat_detector.h"
#include "checkers/reference/phi_accrual.h"
#include "checkers/reference/swim.h"
#include "common/units.h"

namespace ref = faultline::reference;
using faultline::Nanos;
using faultline::kMillisecond;

namespace {

std::vector<std::string> names(int n) {
  std::vector<std::string> out;
  for (int i = 0; i < n; ++i) out.push_back("n" + std::to_string(i));
  return out;
}

// One event = one heartbeat recorded; a sweep of the table every 100 events.
void BM_HeartbeatDetector(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  auto nodes = names(n);
  ref::HeartbeatDetector detector("observer");
  Nanos now = 0;
  std::size_t i = 0;
  for (auto _ : state) {
    now += kMillisecond;
    detector.heartbeat(nodes[i % nodes.size()], now);
    if (++i % 100 == 0) benchmark::DoNotOptimize(detector.evaluate(now));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_HeartbeatDetector)->Arg(10)->Arg(1000);

// One event = one heartbeat recorded plus one phi evaluation.
void BM_PhiAccrual(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  auto nodes = names(n);
  ref::PhiAccrualDetector detector("observer");
  Nanos now = 0;
  std::size_t i = 0;
  for (auto _ : state) {
    now += kMillisecond;
    const std::string& node = nodes[i++ % nodes.size()];
    detector.heartbeat(node, now);
    benchmark::DoNotOptimize(detector.phi(node, now + 500 * kMillisecond));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_PhiAccrual)->Arg(10)->Arg(1000);

// One event = one message handled by a SWIM node (a ping it answers, or its
// own probe tick), in a cluster of n members.
void BM_SwimNode(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  auto nodes = names(n);
  ref::SwimNode node(nodes[0], ref::SwimConfig::lan(), 42, 0);
  for (const auto& name : nodes) node.add_member(name);
  ref::Message ping;
  ping.type = ref::MessageType::kPing;
  ping.to = nodes[0];
  Nanos now = 0;
  std::uint64_t i = 0;
  for (auto _ : state) {
    now += kMillisecond;
    ping.from = nodes[1 + i % (nodes.size() - 1)];
    ping.seq = ++i;
    benchmark::DoNotOptimize(node.receive(ping, now));
    if (now >= node.next_deadline()) {
      auto out = node.tick(now);
      // Ack our own probes so nobody is suspected.
      for (const auto& m : out) {
        if (m.type == ref::MessageType::kPing) {
          ref::Message ack;
          ack.type = ref::MessageType::kAck;
          ack.from = m.to;
          ack.to = nodes[0];
          ack.seq = m.seq;
          node.receive(ack, now);
        }
      }
    }
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_SwimNode)->Arg(10)->Arg(200);

// One event = one datagram through encode() and decode().
void BM_SwimWireFormat(benchmark::State& state) {
  ref::Message m;
  m.type = ref::MessageType::kPing;
  m.from = "n1";
  m.to = "n2";
  m.seq = 12345;
  for (int i = 0; i < 8; ++i) m.gossip.push_back({ref::GossipKind::kSuspect, "n" + std::to_string(i), 3, "n1"});
  for (auto _ : state) {
    auto decoded = ref::decode(ref::encode(m));
    benchmark::DoNotOptimize(decoded);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_SwimWireFormat);

}  // namespace

BENCHMARK_MAIN();
