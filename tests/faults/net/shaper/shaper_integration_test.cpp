// The NFQUEUE shaper, and netem where the kernel has it, on real traffic
// between two namespaces on a bridge. The mechanism runs where the agent would:
// in a child process that entered the sender's namespace
// (NetnsCluster::run_in_capture), applying and healing the fault through the
// mechanism registry; receivers measure what arrives. The traffic tests
// (TrafficByMechanism) run once per mechanism; netem's skip where it is missing.
#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdio>
#include <numeric>

#include <nlohmann/json.hpp>

#include "faults/net/shaper/shaper_mechanism.h"
#include "faults/registry.h"
#include "tests/faults/net/shaper/mechanism_runner.h"
#include "tests/faults/net/shaper/udp_probe.h"
#include "tests/support/netns.h"

namespace faultline::faults::shaper {
namespace {

using faultline::testing::NetnsCluster;
namespace probe = faultline::testing::shaper_probe;

class ShaperIntegration : public ::testing::Test {
 protected:
  void SetUp() override {
    auto created = NetnsCluster::create(2);
    ASSERT_TRUE(created.ok()) << created.error().message;
    cluster_ = std::move(*created);
    // Resolve ARP both ways first: a burst sent while the neighbour entry is
    // still unresolved overflows its small pending queue, and that loss is
    // not the shaper's.
    ASSERT_TRUE(path_works(sender(), receiver()));
    ASSERT_TRUE(path_works(receiver(), sender()));
  }

  // A fresh bridge may take a moment to forward: retry for up to 3 s.
  static bool path_works(const testing::NetnsNode& from, const testing::NetnsNode& to) {
    for (int attempt = 0; attempt < 30; ++attempt) {
      if (testing::udp_delivered(from.ns, to.ns, to.address, 3) > 0) return true;
      usleep(100'000);
    }
    return false;
  }

  const testing::NetnsNode& sender() const { return cluster_->node(0); }
  const testing::NetnsNode& receiver() const { return cluster_->node(1); }

  std::string our_mangle_rules() const { return faultline::testing::shaper_probe::our_rules_in(sender().ns, "mangle"); }

  // In a child inside the sender's namespace: plan + apply `spec` with the
  // shaper, run measure(), heal, and hand back {"record", "result", "error"}.
  nlohmann::json with_fault(const std::string& spec_text, const std::function<nlohmann::json()>& measure,
                            bool heal = true) {
    return faultline::testing::shaper_probe::run_fault_in(sender().ns, spec_text, kShaperMechanismName, measure, heal);
  }

  std::unique_ptr<NetnsCluster> cluster_;
};

struct Rtt {
  double mean = 0, sd = 0, min = 0, max = 0;
  std::size_t n = 0;
};

Rtt summarize(const std::vector<double>& xs) {
  Rtt r;
  r.n = xs.size();
  if (xs.empty()) return r;
  r.mean = std::accumulate(xs.begin(), xs.end(), 0.0) / static_cast<double>(xs.size());
  double var = 0;
  for (double x : xs) var += (x - r.mean) * (x - r.mean);
  r.sd = std::sqrt(var / static_cast<double>(xs.size()));
  r.min = *std::min_element(xs.begin(), xs.end());
  r.max = *std::max_element(xs.begin(), xs.end());
  return r;
}

TEST_F(ShaperIntegration, RegistryFallsBackToTheShaperWithoutNetem) {
  auto chosen = NetnsCluster::run_in_capture(sender().ns, [] {
    HostContext host;
    host.default_interface = "eth0";
    std::string names;
    for (const char* kind : {"delay", "reorder", "duplicate", "corrupt"}) {
      auto m = MechanismRegistry::instance().select(kind, host);
      names += std::string(kind) + "=" + (m ? std::string((*m)->name()) : "error:" + m.error().message) + " ";
    }
    return names;
  });
  ASSERT_TRUE(chosen.ok()) << chosen.error().message;
  if (chosen->find("netem") != std::string::npos) GTEST_SKIP() << "this kernel has netem: " << *chosen;
  EXPECT_EQ(*chosen, "delay=nfqueue-shaper reorder=nfqueue-shaper duplicate=nfqueue-shaper corrupt=nfqueue-shaper ");
}

// The traffic measurements of the acceptance list, each run through every
// mechanism that can serve the kind: once with "mechanism":"netem" in the spec
// and once with "mechanism":"nfqueue-shaper" (the fallback), chosen by the
// registry as it honours an explicit "mechanism" field. Where the kernel has
// no sch_netem the netem instances are skipped, with the probe's reason.
class TrafficByMechanism : public ShaperIntegration, public ::testing::WithParamInterface<std::string> {
 protected:
  void SetUp() override {
    // netem's probe is one qdisc probe, the same for all its kinds.
    if (GetParam() == "netem") {
      if (auto why = probe::netem_unavailable("delay"); !why.empty()) GTEST_SKIP() << why;
    }
    ShaperIntegration::SetUp();
  }
  bool netem() const { return GetParam() == "netem"; }

  nlohmann::json with_mechanism(const std::string& spec_text, const std::function<nlohmann::json()>& measure) {
    return probe::run_fault_in(sender().ns, spec_text, GetParam(), measure);
  }
  std::string leftovers() const { return probe::leftovers_in(sender().ns); }
};

TEST_P(TrafficByMechanism, Delay50msJitter10msGivesThatRttDistribution) {
  auto echo = probe::UdpEcho::start(receiver().ns, receiver().address);
  ASSERT_TRUE(echo.ok()) << echo.error().message;
  const auto port = (*echo)->port();
  const auto target = receiver().address;
  auto measure_rtts = [&] { return nlohmann::json(probe::ping_rtts_ms(target, port, 400, 2500)); };

  auto baseline = NetnsCluster::run_in_capture(sender().ns, [&] { return measure_rtts().dump(); });
  ASSERT_TRUE(baseline.ok());
  auto before = summarize(nlohmann::json::parse(*baseline).get<std::vector<double>>());
  ASSERT_GE(before.n, 390u);
  EXPECT_LT(before.mean, 5.0) << "the unshaped path should be fast";

  auto run = with_mechanism(R"({"kind":"delay","delay":"50ms","jitter":"10ms"})", measure_rtts);
  ASSERT_FALSE(run.contains("error")) << run.dump();
  EXPECT_EQ(run["record"]["mechanism"], GetParam());
  auto rtt = summarize(run["result"].get<std::vector<double>>());
  ASSERT_GE(rtt.n, 390u) << "replies lost";
  double target_mean = 50.0 + before.mean;
  std::printf("[ measured ] %s: RTT mean %.2f ms (target %.2f) sd %.2f min %.2f max %.2f n %zu\n", GetParam().c_str(),
              rtt.mean, target_mean, rtt.sd, rtt.min, rtt.max, rtt.n);
  EXPECT_NEAR(rtt.mean, target_mean, 3.0) << GetParam() << ": mean " << rtt.mean << " sd " << rtt.sd;
  // Uniform jitter (netem's default): spread 10/sqrt(3) ms, nothing outside 40..60 ms plus the path.
  EXPECT_NEAR(rtt.sd, 10.0 / std::sqrt(3.0), 1.5);
  EXPECT_GE(rtt.min, 39.5);
  EXPECT_LE(rtt.max, 62.0 + before.max);
  EXPECT_EQ(leftovers(), "") << "heal must leave nothing of ours";

  auto after = NetnsCluster::run_in_capture(sender().ns, [&] { return measure_rtts().dump(); });
  ASSERT_TRUE(after.ok());
  EXPECT_LT(summarize(nlohmann::json::parse(*after).get<std::vector<double>>()).mean, 5.0);
}

TEST_P(TrafficByMechanism, DuplicateIsSeenByAReceiverCountingSequenceNumbers) {
  auto sink = probe::SequenceSink::start(receiver().ns, receiver().address);
  ASSERT_TRUE(sink.ok()) << sink.error().message;
  const auto port = (*sink)->port();
  const auto target = receiver().address;
  auto run = with_mechanism(R"({"kind":"duplicate","percent":30})",
                            [&] { return nlohmann::json(probe::send_sequence(target, port, 2000, 64, 200)); });
  ASSERT_FALSE(run.contains("error")) << run.dump();
  EXPECT_EQ(run["record"]["mechanism"], GetParam());
  auto stats = probe::analyze((*sink)->collect());
  EXPECT_EQ(stats.unique, 2000);
  EXPECT_EQ(stats.corrupted, 0);
  std::printf("[ measured ] %s: %d duplicates of 2000, %d unique\n", GetParam().c_str(), stats.duplicates,
              stats.unique);
  EXPECT_NEAR(stats.duplicates / 2000.0, 0.30, 0.05) << GetParam() << ": " << stats.duplicates << " duplicates";
  EXPECT_EQ(leftovers(), "");
}

TEST_P(TrafficByMechanism, ReorderIsSeenByAReceiverCountingSequenceNumbers) {
  auto sink = probe::SequenceSink::start(receiver().ns, receiver().address);
  ASSERT_TRUE(sink.ok()) << sink.error().message;
  const auto port = (*sink)->port();
  const auto target = receiver().address;
  auto send = [&] { return nlohmann::json(probe::send_sequence(target, port, 2000, 64, 250)); };

  // Without the fault, nothing overtakes (the test can fail).
  ASSERT_EQ(NetnsCluster::run_in(sender().ns, [&] { return send().get<int>() == 2000 ? 0 : 1; }), 0);
  auto clean = probe::analyze((*sink)->collect());
  EXPECT_EQ(clean.unique, 2000);
  EXPECT_EQ(clean.overtaken, 0);

  auto sink2 = probe::SequenceSink::start(receiver().ns, receiver().address);
  ASSERT_TRUE(sink2.ok());
  const auto port2 = (*sink2)->port();
  auto run = with_mechanism(R"({"kind":"reorder","percent":25,"delay":"10ms"})",
                            [&] { return nlohmann::json(probe::send_sequence(target, port2, 2000, 64, 250)); });
  ASSERT_FALSE(run.contains("error")) << run.dump();
  EXPECT_EQ(run["record"]["mechanism"], GetParam());
  auto stats = probe::analyze((*sink2)->collect());
  // The sender's count tells a send refused under the queue (EPERM, ENOBUFS)
  // from a packet lost after it left.
  EXPECT_EQ(run["result"], 2000) << "sends that failed under the fault";
  EXPECT_EQ(stats.unique, 2000) << "reordering must not lose packets";
  EXPECT_EQ(stats.duplicates, 0);
  // netem semantics: 25% go at once; the other 75% wait 10 ms (40 sends), so
  // nearly every delayed packet arrives after a later, immediate one.
  std::printf("[ measured ] %s: %d of 2000 overtaken, %d unique\n", GetParam().c_str(), stats.overtaken, stats.unique);
  EXPECT_NEAR(stats.overtaken / 2000.0, 0.75, 0.05) << GetParam() << ": " << stats.overtaken << " overtaken";
  EXPECT_EQ(leftovers(), "");
}

TEST_P(TrafficByMechanism, CorruptIsSeenByAReceiverCheckingPayloads) {
  auto sink = probe::SequenceSink::start(receiver().ns, receiver().address);
  ASSERT_TRUE(sink.ok()) << sink.error().message;
  const auto port = (*sink)->port();
  const auto target = receiver().address;
  // netem never fixes the checksum, so with one the receiver's stack would
  // drop every damaged datagram before any payload check (the next test):
  // through netem the sender leaves the UDP checksum off. The fallback keeps
  // it on, so its recomputation is what delivers the damaged payload.
  const bool checksum = !netem();
  auto run = with_mechanism(R"({"kind":"corrupt","percent":20})", [&] {
    return nlohmann::json(probe::send_sequence(target, port, 2000, 200, 200, checksum));
  });
  ASSERT_FALSE(run.contains("error")) << run.dump();
  EXPECT_EQ(run["record"]["mechanism"], GetParam());
  EXPECT_EQ(run["result"], 2000);
  auto stats = probe::analyze((*sink)->collect());
  EXPECT_EQ(stats.duplicates, 0);
  std::printf("[ measured ] %s: %d intact, %d corrupted, %d received of 2000\n", GetParam().c_str(), stats.unique,
              stats.corrupted, stats.received);
  // A fifth of the datagrams does not arrive intact...
  EXPECT_NEAR((2000 - stats.unique) / 2000.0, 0.20, 0.04)
      << GetParam() << ": " << stats.unique << " intact, " << stats.corrupted << " corrupted, " << stats.received
      << " received";
  if (netem()) {
    // ...netem flips a bit anywhere in the frame: in the payload (200 of ~242
    // bytes) the receiver's payload check sees it, in a header the stack drops it.
    EXPECT_GE(stats.corrupted / 2000.0, 0.12) << stats.corrupted << " corrupted";
  } else {
    // ...the shaper flips a payload bit and recomputes the checksum: every
    // datagram is delivered, a fifth of them damaged.
    EXPECT_EQ(stats.received, 2000) << stats.unique << " intact, " << stats.corrupted << " corrupted";
    EXPECT_NEAR(stats.corrupted / 2000.0, 0.20, 0.04) << stats.corrupted << " corrupted";
  }
  EXPECT_EQ(leftovers(), "");
}

TEST_P(TrafficByMechanism, CorruptWithStaleChecksumIsDroppedByTheReceiverAsUnderNetem) {
  auto sink = probe::SequenceSink::start(receiver().ns, receiver().address);
  ASSERT_TRUE(sink.ok()) << sink.error().message;
  const auto port = (*sink)->port();
  const auto target = receiver().address;
  // netem never recomputes (it ignores the field); the shaper is told not to.
  auto run = with_mechanism(R"({"kind":"corrupt","percent":20,"recompute_checksum":false})",
                            [&] { return nlohmann::json(probe::send_sequence(target, port, 1000, 200, 200)); });
  ASSERT_FALSE(run.contains("error")) << run.dump();
  EXPECT_EQ(run["record"]["mechanism"], GetParam());
  auto stats = probe::analyze((*sink)->collect());
  std::printf("[ measured ] %s: %d received of 1000, %d corrupted\n", GetParam().c_str(), stats.received,
              stats.corrupted);
  EXPECT_EQ(stats.corrupted, 0) << "the receiver's stack must drop them";
  EXPECT_NEAR((1000 - stats.received) / 1000.0, 0.20, 0.05) << GetParam() << ": " << stats.received << " received";
  EXPECT_EQ(leftovers(), "");
}

INSTANTIATE_TEST_SUITE_P(ByMechanism, TrafficByMechanism,
                         ::testing::Values(std::string("netem"), std::string(kShaperMechanismName)),
                         probe::mechanism_param_name);

TEST_F(ShaperIntegration, HealFromTheRecordAloneInAFreshProcess) {
  auto echo = probe::UdpEcho::start(receiver().ns, receiver().address);
  ASSERT_TRUE(echo.ok()) << echo.error().message;
  const auto port = (*echo)->port();
  const auto target = receiver().address;
  auto rtt_now = [&] {
    auto out = NetnsCluster::run_in_capture(sender().ns, [&] {
      return nlohmann::json(probe::ping_rtts_ms(target, port, 40, 5000)).dump();
    });
    return out ? summarize(nlohmann::json::parse(*out).get<std::vector<double>>()) : Rtt{};
  };

  // Process 1 applies a delay, measures it, and dies without healing (as a
  // killed agent would): only the record survives it.
  auto run = with_fault(R"({"kind":"delay","delay":"30ms"})",
                        [&] { return nlohmann::json(probe::ping_rtts_ms(target, port, 40, 5000)); },
                        /*heal=*/false);
  ASSERT_FALSE(run.contains("error")) << run.dump();
  EXPECT_GT(summarize(run["result"].get<std::vector<double>>()).mean, 29.0);
  auto record = run["record"];
  ASSERT_NE(our_mangle_rules().find("NFQUEUE"), std::string::npos) << "the dead process's rules remain";
  EXPECT_NE(our_mangle_rules().find("--queue-bypass"), std::string::npos);
  // With no shaper bound, --queue-bypass keeps traffic flowing, undelayed.
  auto orphaned = rtt_now();
  EXPECT_GE(orphaned.n, 38u);
  EXPECT_LT(orphaned.mean, 5.0);

  // Process 2: a fresh mechanism instance heals from the record alone.
  auto healed = NetnsCluster::run_in_capture(sender().ns, [&]() -> std::string {
    auto mechanism = MechanismRegistry::instance().find(record["kind"], record["mechanism"]);
    if (!mechanism) return mechanism.error().message;
    HostContext host;
    auto first = (*mechanism)->heal(record, host);
    auto again = (*mechanism)->heal(record, host);  // idempotent
    return first && again ? "ok" : (first ? again.error().message : first.error().message);
  });
  ASSERT_TRUE(healed.ok());
  EXPECT_EQ(*healed, "ok");
  EXPECT_EQ(our_mangle_rules(), "");
  auto after = rtt_now();
  EXPECT_GE(after.n, 38u);
  EXPECT_LT(after.mean, 5.0);
}

TEST_F(ShaperIntegration, BadSpecsAreRefusedBeforeAnythingChanges) {
  auto run = with_fault(R"({"kind":"delay","delay":"10ms","interface":"nope0"})", [] { return nlohmann::json(); });
  ASSERT_TRUE(run.contains("error"));
  EXPECT_NE(run["error"].get<std::string>().find("nope0"), std::string::npos);
  EXPECT_EQ(our_mangle_rules(), "");
}

}  // namespace
}  // namespace faultline::faults::shaper
