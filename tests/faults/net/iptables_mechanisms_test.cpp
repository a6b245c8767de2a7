// partition, blackhole-out and statistic loss against real iptables and real
// traffic in namespaces on a bridge; each healed by a fresh instance from the
// record alone.
#include <gtest/gtest.h>

#include "faults/net/iptables_mechanisms.h"
#include "faults/registry.h"
#include "tests/faults/net/net_test_util.h"

using namespace faultline;
using namespace faultline::testing;
using namespace faultline::net_test;
using faults::net::IptablesBlackholeOut;
using faults::net::IptablesPartition;
using faults::net::IptablesStatisticLoss;

namespace {

int conntrack_entries(const std::string& ns, const std::string& dst) {
  auto out = NetnsCluster::exec(ns, {"conntrack", "-L", "-d", dst});
  int lines = 0;
  for (std::size_t pos = 0; (pos = out.output.find("tcp ", pos)) != std::string::npos; ++pos) ++lines;
  return lines;
}

}  // namespace

TEST(Partition, BlocksExactlyTheListedPairsCutsEstablishedTcpKeepsControlAndHealsFromTheRecord) {
  auto cluster = NetnsCluster::create(3);
  ASSERT_TRUE(cluster.ok()) << cluster.error().message;
  auto& c = **cluster;
  const auto &n1 = c.node(0), &n2 = c.node(1), &n3 = c.node(2);
  // Make conntrack track flows in n1 (as any stateful host firewall does).
  ASSERT_EQ(NetnsCluster::exec(n1.ns, {"iptables", "-A", "INPUT", "-m", "conntrack", "--ctstate",
                                       "ESTABLISHED,RELATED", "-j", "ACCEPT"}).exit_code, 0);

  auto tcp12 = TcpPair::connect(n1.ns, n2.ns, n2.address);
  auto tcp13 = TcpPair::connect(n1.ns, n3.ns, n3.address);
  auto tcp23 = TcpPair::connect(n2.ns, n3.ns, n3.address);
  auto control = TcpPair::connect(c.hub_ns(), n1.ns, n1.address);  // the "controller" -> agent on n1
  ASSERT_TRUE(tcp12.ok() && tcp13.ok() && tcp23.ok() && control.ok());
  ASSERT_TRUE(tcp12->roundtrip());
  EXPECT_GE(conntrack_entries(n1.ns, n2.address), 1);

  faults::HostContext host;
  host.exemptions.push_back({"", local_port(control->server.get())});
  IptablesPartition mechanism;
  EXPECT_TRUE(mechanism.probe(host).available) << mechanism.probe(host).reason;
  auto record = plan_apply_in(n1.ns, mechanism, R"({"kind":"partition","peers":[")" + n2.address + R"("]})", host);
  ASSERT_TRUE(record.ok()) << record.error().message;
  EXPECT_NE(mechanism.describe(*record).find(n2.address), std::string::npos);

  // The established n1<->n2 flow was forgotten by conntrack (nothing was sent since).
  EXPECT_EQ(conntrack_entries(n1.ns, n2.address), 0);
  // Exactly the pair n1<->n2 is cut, both directions, UDP and established TCP.
  EXPECT_EQ(udp_delivered(n1.ns, n2.ns, n2.address, 20), 0);
  EXPECT_EQ(udp_delivered(n2.ns, n1.ns, n1.address, 20), 0);
  EXPECT_FALSE(tcp_byte(tcp12->client.get(), tcp12->server.get(), 300));
  EXPECT_FALSE(tcp_byte(tcp12->server.get(), tcp12->client.get(), 300));
  EXPECT_FALSE(tcp_connects(n2.ns, n1.ns, n1.address, 300));
  // Every other pair works.
  EXPECT_EQ(udp_delivered(n1.ns, n3.ns, n3.address, 20), 20);
  EXPECT_EQ(udp_delivered(n3.ns, n1.ns, n1.address, 20), 20);
  EXPECT_EQ(udp_delivered(n2.ns, n3.ns, n3.address, 20), 20);
  EXPECT_EQ(udp_delivered(n3.ns, n2.ns, n2.address, 20), 20);
  EXPECT_TRUE(tcp_byte(tcp13->client.get(), tcp13->server.get(), 500));
  EXPECT_TRUE(tcp_byte(tcp23->server.get(), tcp23->client.get(), 500));
  // The control connection is exempt, both ways.
  EXPECT_TRUE(tcp_byte(control->client.get(), control->server.get(), 500));
  EXPECT_TRUE(tcp_byte(control->server.get(), control->client.get(), 500));

  IptablesPartition fresh;  // a restarted agent: only the record
  auto healed = heal_in(n1.ns, fresh, *record, {});
  ASSERT_TRUE(healed.ok()) << healed.error().message;
  EXPECT_TRUE(heal_in(n1.ns, fresh, *record, {}).ok());  // idempotent
  EXPECT_EQ(udp_delivered(n1.ns, n2.ns, n2.address, 20), 20);
  EXPECT_EQ(udp_delivered(n2.ns, n1.ns, n1.address, 20), 20);
  EXPECT_TRUE(tcp_connects(n2.ns, n1.ns, n1.address, 1000));
  EXPECT_TRUE(tcp_byte(tcp12->client.get(), tcp12->server.get(), 4000));  // retransmitted after heal
  auto saved = iptables_save(n1.ns);
  EXPECT_EQ(saved.find("faultline"), std::string::npos) << saved;
  EXPECT_EQ(saved.find("FAULTLINE"), std::string::npos) << saved;
  EXPECT_NE(saved.find("--ctstate RELATED,ESTABLISHED -j ACCEPT"), std::string::npos) << saved;  // the user's rule stays
}

TEST(Partition, RejectsBadSpecsClearlyAndChangesNothing) {
  // The schema refuses them first (FaultSpec::parse), naming the field ...
  auto refused = faults::FaultSpec::parse_text(R"({"kind":"partition","peers":["10.0.0.300"]})");
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().message.find("10.0.0.300"), std::string::npos) << refused.error().message;
  // ... and the mechanism's own checks stand behind it (a spec built as is).
  auto raw = [](const nlohmann::json& j) { return faults::FaultSpec{"partition", j, std::nullopt}; };
  IptablesPartition mechanism;
  auto none = mechanism.plan(raw({{"kind", "partition"}}), {});
  ASSERT_FALSE(none.ok());
  EXPECT_NE(none.error().message.find("peers"), std::string::npos);
  auto bad = mechanism.plan(raw({{"kind", "partition"}, {"peers", {"10.0.0.300"}}}), {});
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find("10.0.0.300"), std::string::npos);
  EXPECT_FALSE(mechanism.heal(nlohmann::json::object(), {}).ok());
}

TEST(BlackholeOut, SendsNothingReceivesEverythingKeepsControl) {
  auto cluster = NetnsCluster::create(2);
  ASSERT_TRUE(cluster.ok()) << cluster.error().message;
  auto& c = **cluster;
  const auto &n1 = c.node(0), &n2 = c.node(1);
  auto control = TcpPair::connect(c.hub_ns(), n1.ns, n1.address);
  ASSERT_TRUE(control.ok());
  faults::HostContext host;
  host.exemptions.push_back({"", local_port(control->server.get())});
  IptablesBlackholeOut mechanism;
  auto record = plan_apply_in(n1.ns, mechanism, R"({"kind":"blackhole-out"})", host);
  ASSERT_TRUE(record.ok()) << record.error().message;
  EXPECT_EQ(udp_delivered(n1.ns, n2.ns, n2.address, 20), 0);
  EXPECT_EQ(udp_delivered(n2.ns, n1.ns, n1.address, 20), 20);
  EXPECT_EQ(udp_delivered(n1.ns, n1.ns, "127.0.0.1", 20), 20);  // loopback untouched
  EXPECT_TRUE(tcp_byte(control->client.get(), control->server.get(), 500));
  EXPECT_TRUE(tcp_byte(control->server.get(), control->client.get(), 500));

  IptablesBlackholeOut fresh;
  ASSERT_TRUE(heal_in(n1.ns, fresh, *record).ok());
  EXPECT_EQ(udp_delivered(n1.ns, n2.ns, n2.address, 20), 20);
  EXPECT_EQ(iptables_save(n1.ns).find("faultline"), std::string::npos);
}

TEST(StatisticLoss, ThirtyPercentMeasuredOverThreeThousandPackets) {
  auto cluster = NetnsCluster::create(2);
  ASSERT_TRUE(cluster.ok()) << cluster.error().message;
  auto& c = **cluster;
  const auto &n1 = c.node(0), &n2 = c.node(1);
  IptablesStatisticLoss mechanism;
  auto record = plan_apply_in(n1.ns, mechanism, R"({"kind":"loss","percent":30,"correlation":25})");
  ASSERT_TRUE(record.ok()) << record.error().message;
  EXPECT_NE(mechanism.describe(*record).find("correlation 25% ignored"), std::string::npos);

  constexpr int kPackets = 3000;
  auto receiver = UdpReceiver::open(n2.ns, n2.address);
  ASSERT_TRUE(receiver.ok());
  udp_send(n1.ns, n2.address, receiver->port, kPackets, 64, 100);
  int received = receiver->drain(300, 10000);
  double loss = 1.0 - static_cast<double>(received) / kPackets;
  EXPECT_GE(loss, 0.25) << received;
  EXPECT_LE(loss, 0.35) << received;
  // The reverse direction is not touched (netem semantics: the host's outgoing packets).
  EXPECT_EQ(udp_delivered(n2.ns, n1.ns, n1.address, 50), 50);

  IptablesStatisticLoss fresh;
  ASSERT_TRUE(heal_in(n1.ns, fresh, *record).ok());
  EXPECT_EQ(udp_delivered(n1.ns, n2.ns, n2.address, 200), 200);
  EXPECT_EQ(iptables_save(n1.ns).find("faultline"), std::string::npos);
}

TEST(StatisticLoss, OnlyTowardsListedDestinations) {
  auto cluster = NetnsCluster::create(3);
  ASSERT_TRUE(cluster.ok()) << cluster.error().message;
  auto& c = **cluster;
  IptablesStatisticLoss mechanism;
  auto record = plan_apply_in(c.node(0).ns, mechanism,
                              R"({"kind":"loss","percent":100,"destinations":[")" + c.node(1).address + R"("]})");
  ASSERT_TRUE(record.ok()) << record.error().message;
  EXPECT_EQ(udp_delivered(c.node(0).ns, c.node(1).ns, c.node(1).address, 20), 0);
  EXPECT_EQ(udp_delivered(c.node(0).ns, c.node(2).ns, c.node(2).address, 20), 20);
  ASSERT_TRUE(heal_in(c.node(0).ns, mechanism, *record).ok());
}

TEST(Registry, PartitionBlackholeAndLossFallbackAreRegistered) {
  auto& registry = faults::MechanismRegistry::instance();
  EXPECT_TRUE(registry.find("partition", "iptables").ok());
  EXPECT_TRUE(registry.find("blackhole-out", "iptables").ok());
  EXPECT_TRUE(registry.find("loss", "iptables-statistic").ok());
}
