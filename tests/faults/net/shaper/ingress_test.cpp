// "direction":"ingress" (delay, loss, bandwidth, duplicate, corrupt) on real
// traffic between two namespaces on a bridge:
// the fault is applied in the FAULTED node (a child inside its namespace, as
// the agent would), its peer sends, and the receivers measure — so the tests
// see that the fault acts on what arrives at the faulted node and not on
// what leaves it. Each runs through every mechanism that serves ingress for
// the kind (netem-ifb, tbf-ifb: an IFB device; nfqueue-shaper and
// iptables-statistic on INPUT); a mechanism this kernel lacks is skipped with
// its probe's reason.
#include <gtest/gtest.h>

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <numeric>

#include <nlohmann/json.hpp>

#include "faults/registry.h"
#include "tests/faults/net/shaper/mechanism_runner.h"
#include "tests/faults/net/shaper/udp_probe.h"
#include "tests/support/netns.h"
#include "tests/support/traffic.h"

namespace faultline::testing {
namespace {

namespace probe = shaper_probe;

// "" when `mechanism` can serve `kind` here, else why not (for GTEST_SKIP).
std::string unavailable(const std::string& kind, const std::string& mechanism) {
  auto found = faults::MechanismRegistry::instance().find(kind, mechanism);
  if (!found) return found.error().message;
  auto availability = (*found)->probe(faults::HostContext{});
  return availability.available ? std::string() : mechanism + ": " + availability.reason;
}

double median_ms(std::vector<double> xs) {
  if (xs.empty()) return -1;
  std::sort(xs.begin(), xs.end());
  return xs[xs.size() / 2];
}

std::vector<double> latencies_ms(const std::vector<probe::Arrival>& arrivals) {
  std::vector<double> out;
  for (const auto& a : arrivals) out.push_back(static_cast<double>(a.latency_ns) / 1e6);
  return out;
}

// The mechanism is the test's parameter; the kind, the fixture's.
class Ingress : public ::testing::TestWithParam<std::string> {
 protected:
  virtual std::string kind() const = 0;

  void SetUp() override {
    if (auto why = unavailable(kind(), mechanism()); !why.empty()) GTEST_SKIP() << why;
    auto created = NetnsCluster::create(2);
    ASSERT_TRUE(created.ok()) << created.error().message;
    cluster_ = std::move(*created);
    // Resolve ARP both ways first: a burst sent while the neighbour entry is
    // unresolved overflows its small pending queue, and that loss is not the fault's.
    ASSERT_TRUE(path_works(peer(), faulted()));
    ASSERT_TRUE(path_works(faulted(), peer()));
  }

  static bool path_works(const NetnsNode& from, const NetnsNode& to) {
    for (int attempt = 0; attempt < 30; ++attempt) {
      if (udp_delivered(from.ns, to.ns, to.address, 3) > 0) return true;
      usleep(100'000);
    }
    return false;
  }

  const std::string& mechanism() const { return GetParam(); }
  const NetnsNode& faulted() const { return cluster_->node(0); }
  const NetnsNode& peer() const { return cluster_->node(1); }

  // Applies spec in the faulted node through this test's mechanism, runs
  // measure() there (in a child inside its namespace), heals.
  nlohmann::json with_fault(const std::string& spec, const std::function<nlohmann::json()>& measure) {
    return probe::run_fault_in(faulted().ns, spec, mechanism(), measure);
  }

  // From inside the faulted node's child: sends from the peer's namespace.
  int send_from_peer(std::uint16_t port, int count, int size, int gap_us) {
    auto sent = NetnsCluster::run_in_capture(peer().ns, [&] {
      return std::to_string(probe::send_sequence(faulted().address, port, count, size, gap_us));
    });
    return sent ? std::atoi(sent->c_str()) : -1;
  }

  std::unique_ptr<NetnsCluster> cluster_;
};

class IngressDelay : public Ingress {
  std::string kind() const override { return "delay"; }
};
class IngressLoss : public Ingress {
  std::string kind() const override { return "loss"; }
};
class IngressBandwidth : public Ingress {
  std::string kind() const override { return "bandwidth"; }
};
class IngressDuplicate : public Ingress {
  std::string kind() const override { return "duplicate"; }
};
class IngressCorrupt : public Ingress {
  std::string kind() const override { return "corrupt"; }
};

TEST_P(IngressDelay, Delay50msShowsInRttAndInOneWayTimingAtTheReceiver) {
  auto in_sink = probe::SequenceSink::start(faulted().ns, faulted().address);  // what arrives at the faulted node
  auto out_sink = probe::SequenceSink::start(peer().ns, peer().address);      // what it sends
  auto echo = probe::UdpEcho::start(peer().ns, peer().address);
  ASSERT_TRUE(in_sink.ok() && out_sink.ok() && echo.ok());
  const auto in_port = (*in_sink)->port(), out_port = (*out_sink)->port(), echo_port = (*echo)->port();
  const std::string peer_address = peer().address;

  auto run = with_fault(R"({"kind":"delay","delay":"50ms","direction":"ingress"})", [&] {
    int in = send_from_peer(in_port, 200, 64, 2000);
    int out = probe::send_sequence(peer_address, out_port, 200, 64, 2000);
    auto rtts = probe::ping_rtts_ms(peer_address, echo_port, 100, 3000);
    usleep(300'000);  // what is still held arrives delayed, before the heal releases it
    return nlohmann::json{{"in", in}, {"out", out}, {"rtts", rtts}};
  });
  ASSERT_FALSE(run.contains("error")) << run.dump();
  EXPECT_EQ(run["record"]["mechanism"], mechanism());
  EXPECT_EQ(run["result"]["in"], 200);
  EXPECT_EQ(run["result"]["out"], 200);

  auto arrived = (*in_sink)->collect();
  auto sent = (*out_sink)->collect();
  ASSERT_GE(arrived.size(), 195u);
  ASSERT_GE(sent.size(), 195u);
  const double one_way_in = median_ms(latencies_ms(arrived)), one_way_out = median_ms(latencies_ms(sent));
  const double rtt = median_ms(run["result"]["rtts"].get<std::vector<double>>());
  std::printf("[ measured ] %s: one-way into the faulted node %.2f ms, out of it %.2f ms; RTT from it %.2f ms (n %zu)\n",
              mechanism().c_str(), one_way_in, one_way_out, rtt, run["result"]["rtts"].size());
  EXPECT_GE(one_way_in, 49.0) << "packets arriving at the faulted node are delayed";
  EXPECT_LE(one_way_in, 60.0);
  EXPECT_LT(one_way_out, 5.0) << "packets leaving the faulted node are not";
  EXPECT_GE(run["result"]["rtts"].size(), 95u);
  EXPECT_GE(rtt, 49.0) << "the reply arrives at the faulted node: delayed once";
  EXPECT_LE(rtt, 62.0);

  EXPECT_EQ(probe::leftovers_in(faulted().ns), "") << "heal must leave nothing of ours";
  auto healed = NetnsCluster::run_in_capture(faulted().ns, [&] {
    return nlohmann::json(probe::ping_rtts_ms(peer_address, echo_port, 20, 3000)).dump();
  });
  ASSERT_TRUE(healed.ok());
  EXPECT_LT(median_ms(nlohmann::json::parse(*healed).get<std::vector<double>>()), 5.0);
}

TEST_P(IngressLoss, Loss30PercentDropsIncomingNotOutgoing) {
  auto in_sink = probe::SequenceSink::start(faulted().ns, faulted().address);
  auto out_sink = probe::SequenceSink::start(peer().ns, peer().address);
  ASSERT_TRUE(in_sink.ok() && out_sink.ok());
  const auto in_port = (*in_sink)->port(), out_port = (*out_sink)->port();
  const std::string peer_address = peer().address;
  constexpr int kPackets = 2000;

  auto run = with_fault(R"({"kind":"loss","percent":30,"direction":"ingress"})", [&] {
    int in = send_from_peer(in_port, kPackets, 64, 100);
    int out = probe::send_sequence(peer_address, out_port, 500, 64, 100);
    return nlohmann::json{{"in", in}, {"out", out}};
  });
  ASSERT_FALSE(run.contains("error")) << run.dump();
  EXPECT_EQ(run["record"]["mechanism"], mechanism());
  EXPECT_EQ(run["result"]["in"], kPackets) << "the peer's sends all leave it";

  auto in = probe::analyze((*in_sink)->collect());
  auto out = probe::analyze((*out_sink)->collect());
  const double loss = 1.0 - static_cast<double>(in.unique) / kPackets;
  std::printf("[ measured ] %s: into the faulted node %d of %d arrived (loss %.1f%%); out of it %d of 500\n",
              mechanism().c_str(), in.unique, kPackets, loss * 100, out.unique);
  EXPECT_GE(loss, 0.25);
  EXPECT_LE(loss, 0.35);
  EXPECT_EQ(out.unique, 500) << "what the faulted node sends is not dropped";
  EXPECT_EQ(probe::leftovers_in(faulted().ns), "") << "heal must leave nothing of ours";
  EXPECT_EQ(udp_delivered(peer().ns, faulted().ns, faulted().address, 200), 200) << "healed";
}

TEST_P(IngressBandwidth, Bandwidth1mbitLimitsIncomingNotOutgoing) {
  auto in_sink = probe::SequenceSink::start(faulted().ns, faulted().address);
  auto out_sink = probe::SequenceSink::start(peer().ns, peer().address);
  ASSERT_TRUE(in_sink.ok() && out_sink.ok());
  const auto in_port = (*in_sink)->port(), out_port = (*out_sink)->port();
  const std::string peer_address = peer().address;
  // 400 datagrams of 1000 bytes in ~80 ms (40 Mbit/s): at 1 Mbit/s a tbf with
  // 50 ms of queue passes some tens of them and drops the rest.
  auto run = with_fault(R"({"kind":"bandwidth","rate":"1mbit","direction":"ingress"})", [&] {
    int in = send_from_peer(in_port, 400, 1000, 200);
    int out = probe::send_sequence(peer_address, out_port, 400, 1000, 200);
    usleep(300'000);
    return nlohmann::json{{"in", in}, {"out", out}};
  });
  ASSERT_FALSE(run.contains("error")) << run.dump();
  EXPECT_EQ(run["record"]["mechanism"], mechanism());
  auto in = probe::analyze((*in_sink)->collect());
  auto out = probe::analyze((*out_sink)->collect());
  std::printf("[ measured ] %s: into the faulted node %d of 400 arrived; out of it %d of 400\n", mechanism().c_str(),
              in.unique, out.unique);
  EXPECT_LT(in.unique, 100) << "incoming traffic is limited to 1 Mbit/s";
  EXPECT_GE(out.unique, 395) << "outgoing traffic is not";
  EXPECT_EQ(probe::leftovers_in(faulted().ns), "") << "heal must leave nothing of ours";
  EXPECT_EQ(udp_delivered(peer().ns, faulted().ns, faulted().address, 200), 200) << "healed";
}

TEST_P(IngressDuplicate, Duplicate30PercentIsSeenByTheFaultedNodeNotByItsPeer) {
  auto in_sink = probe::SequenceSink::start(faulted().ns, faulted().address);
  auto out_sink = probe::SequenceSink::start(peer().ns, peer().address);
  ASSERT_TRUE(in_sink.ok() && out_sink.ok());
  const auto in_port = (*in_sink)->port(), out_port = (*out_sink)->port();
  const std::string peer_address = peer().address;
  auto run = with_fault(R"({"kind":"duplicate","percent":30,"direction":"ingress"})", [&] {
    int in = send_from_peer(in_port, 2000, 64, 200);
    int out = probe::send_sequence(peer_address, out_port, 500, 64, 200);
    return nlohmann::json{{"in", in}, {"out", out}};
  });
  ASSERT_FALSE(run.contains("error")) << run.dump();
  EXPECT_EQ(run["record"]["mechanism"], mechanism());
  auto in = probe::analyze((*in_sink)->collect());
  auto out = probe::analyze((*out_sink)->collect());
  std::printf("[ measured ] %s: the faulted node received %d duplicates of 2000 (%d unique); its peer %d of 500\n",
              mechanism().c_str(), in.duplicates, in.unique, out.duplicates);
  EXPECT_EQ(in.unique, 2000);
  EXPECT_NEAR(in.duplicates / 2000.0, 0.30, 0.05);
  EXPECT_EQ(out.duplicates, 0) << "what the faulted node sends is not duplicated";
  EXPECT_EQ(out.unique, 500);
  EXPECT_EQ(probe::leftovers_in(faulted().ns), "") << "heal must leave nothing of ours";
}

TEST_P(IngressCorrupt, Corrupt20PercentReachesTheFaultedNodeNotItsPeer) {
  auto in_sink = probe::SequenceSink::start(faulted().ns, faulted().address);
  auto out_sink = probe::SequenceSink::start(peer().ns, peer().address);
  ASSERT_TRUE(in_sink.ok() && out_sink.ok());
  const auto in_port = (*in_sink)->port(), out_port = (*out_sink)->port();
  const std::string peer_address = peer().address;
  // The shaper fixes the checksum after the flip, so the payload check sees
  // the damage; with netem the senders send without a UDP checksum instead.
  const bool checksum = mechanism() != "netem-ifb";
  auto run = with_fault(R"({"kind":"corrupt","percent":20,"direction":"ingress")" +
                            std::string(checksum ? R"(,"recompute_checksum":true})" : "}"),
                        [&] {
                          auto sent = NetnsCluster::run_in_capture(peer().ns, [&] {
                            return std::to_string(
                                probe::send_sequence(faulted().address, in_port, 2000, 200, 200, checksum));
                          });
                          int out = probe::send_sequence(peer_address, out_port, 500, 200, 200, checksum);
                          return nlohmann::json{{"in", sent ? std::atoi(sent->c_str()) : -1}, {"out", out}};
                        });
  ASSERT_FALSE(run.contains("error")) << run.dump();
  EXPECT_EQ(run["record"]["mechanism"], mechanism());
  auto in = probe::analyze((*in_sink)->collect());
  auto out = probe::analyze((*out_sink)->collect());
  std::printf("[ measured ] %s: the faulted node received %d corrupted of %d; its peer %d of %d\n",
              mechanism().c_str(), in.corrupted, in.received, out.corrupted, out.received);
  EXPECT_NEAR(in.corrupted / 2000.0, 0.20, 0.05);
  EXPECT_EQ(out.corrupted, 0) << "what the faulted node sends is not corrupted";
  EXPECT_EQ(out.received, 500);
  EXPECT_EQ(probe::leftovers_in(faulted().ns), "") << "heal must leave nothing of ours";
}

// An ingress qdisc faultline did not install is never replaced nor removed:
// the IFB apply refuses, leaves no device, and its heal (as the agent runs
// after a failed apply) leaves the foreign qdisc in place.
TEST_P(IngressBandwidth, AForeignIngressQdiscIsRefusedAndLeftAlone) {
  auto added = NetnsCluster::exec(faulted().ns, {"tc", "qdisc", "add", "dev", "eth0", "handle", "ffff:", "ingress"});
  ASSERT_EQ(added.exit_code, 0) << added.output;
  auto out = NetnsCluster::run_in_capture(faulted().ns, [&] {
    auto spec = faults::FaultSpec::parse_text(R"({"kind":"bandwidth","rate":"1mbit","direction":"ingress"})");
    if (!spec) return spec.error().message;
    faults::HostContext host;
    host.default_interface = "eth0";
    auto found = faults::MechanismRegistry::instance().find("bandwidth", mechanism());
    if (!found) return found.error().message;
    auto record = (*found)->plan(*spec, host);
    if (!record) return record.error().message;
    auto applied = (*found)->apply(*record, host);
    auto healed = (*found)->heal(*record, host);
    return std::string(applied ? "applied" : "refused: " + applied.error().message) +
           (healed ? "" : "; heal failed: " + healed.error().message);
  });
  ASSERT_TRUE(out.ok()) << out.error().message;
  EXPECT_NE(out->find("refused: interface eth0 already has an ingress qdisc"), std::string::npos) << *out;
  EXPECT_EQ(out->find("heal failed"), std::string::npos) << *out;
  EXPECT_EQ(probe::ingress_leftovers_in(faulted().ns), "ingress qdisc on eth0\n") << "the foreign qdisc stays, alone";
}

INSTANTIATE_TEST_SUITE_P(ByMechanism, IngressDelay,
                         ::testing::Values(std::string("netem-ifb"), std::string("nfqueue-shaper")),
                         probe::mechanism_param_name);
INSTANTIATE_TEST_SUITE_P(ByMechanism, IngressLoss,
                         ::testing::Values(std::string("netem-ifb"), std::string("iptables-statistic")),
                         probe::mechanism_param_name);
INSTANTIATE_TEST_SUITE_P(ByMechanism, IngressBandwidth, ::testing::Values(std::string("tbf-ifb")),
                         probe::mechanism_param_name);
INSTANTIATE_TEST_SUITE_P(ByMechanism, IngressDuplicate,
                         ::testing::Values(std::string("netem-ifb"), std::string("nfqueue-shaper")),
                         probe::mechanism_param_name);
INSTANTIATE_TEST_SUITE_P(ByMechanism, IngressCorrupt,
                         ::testing::Values(std::string("netem-ifb"), std::string("nfqueue-shaper")),
                         probe::mechanism_param_name);

}  // namespace
}  // namespace faultline::testing
