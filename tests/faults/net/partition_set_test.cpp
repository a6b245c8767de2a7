// A partition with many peers matches them with one ip set (partition.cpp):
// against real iptables (nf_tables and legacy), real ip sets and real traffic
// in namespaces; `iptables-save` and `ipset list` (the programs users run)
// show what is there during the fault and nothing of ours after the heal.
#include <gtest/gtest.h>

#include "faults/net/iptables_chain.h"
#include "faults/net/iptables_mechanisms.h"
#include "faults/net/ipset.h"
#include "faults/net/command.h"
#include "tests/faults/net/net_test_util.h"

using namespace faultline;
using namespace faultline::testing;
using namespace faultline::net_test;
using namespace faultline::faults::net;

namespace {

std::string ipset_names(const std::string& ns) { return NetnsCluster::exec(ns, {"ipset", "list", "-n"}).output; }

std::size_t count(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (std::size_t pos = 0; (pos = text.find(what, pos)) != std::string::npos; pos += what.size()) ++n;
  return n;
}

int conntrack_entries(const std::string& ns, const std::string& dst) {
  auto out = NetnsCluster::exec(ns, {"conntrack", "-L", "-d", dst});
  return static_cast<int>(count(out.output, "tcp "));
}

// n2, 18 unused TEST-NET peers and a block: 20 peers, enough for the set.
constexpr int kManyPeers = 20;
std::string many_peers_spec(const std::string& n2) {
  std::string spec = R"({"kind":"partition","peers":[")" + n2 + R"(","10.99.0.0/16")";
  for (int i = 1; i <= kManyPeers - 2; ++i) spec += R"(,"198.18.200.)" + std::to_string(i) + R"(")";
  return spec + "]}";
}

}  // namespace

TEST(PartitionSet, ManyPeersOneSetTwoRulesCutsEstablishedKeepsControlHealsToNothing) {
  if (!program_in_path("ipset")) GTEST_SKIP() << "the ipset program (to observe sets) is not installed";
  auto cluster = NetnsCluster::create(3);
  ASSERT_TRUE(cluster.ok()) << cluster.error().message;
  auto& c = **cluster;
  const auto &n1 = c.node(0), &n2 = c.node(1), &n3 = c.node(2);
  ASSERT_EQ(NetnsCluster::exec(n1.ns, {"iptables", "-A", "INPUT", "-m", "conntrack", "--ctstate",
                                       "ESTABLISHED,RELATED", "-j", "ACCEPT"}).exit_code, 0);
  auto tcp12 = TcpPair::connect(n1.ns, n2.ns, n2.address);
  auto control = TcpPair::connect(c.hub_ns(), n1.ns, n1.address);
  ASSERT_TRUE(tcp12.ok() && control.ok());
  ASSERT_TRUE(tcp_byte(tcp12->client.get(), tcp12->server.get(), 1000));
  faults::HostContext host;
  host.exemptions.push_back({"", local_port(control->server.get())});

  IptablesPartition mechanism;
  auto record = plan_apply_in(n1.ns, mechanism, many_peers_spec(n2.address), host);
  ASSERT_TRUE(record.ok()) << record.error().message;
  const std::string set = record->value("set", "");
  ASSERT_EQ(set, "faultline-" + record->value("rule_id", "")) << record->dump();
  EXPECT_NE(mechanism.describe(*record).find(set), std::string::npos);

  // What a user sees: two drop rules matching the set, the set with the peers.
  auto saved = iptables_save(n1.ns);
  // The comment sits where iptables-restore wrote it, or last (before the
  // target) when the rules went in through nf_tables netlink.
  const std::string tag = "-m comment --comment \"faultline:" + record->value("rule_id", "") + "\" ";
  const std::string match_in = "-m set --match-set " + set + " src ", match_out = "-m set --match-set " + set + " dst ";
  EXPECT_TRUE(saved.find("-A FAULTLINE-IN " + tag + match_in + "-j DROP") != std::string::npos ||
              saved.find("-A FAULTLINE-IN " + match_in + tag + "-j DROP") != std::string::npos)
      << saved;
  EXPECT_TRUE(saved.find("-A FAULTLINE-OUT " + tag + match_out + "-j DROP") != std::string::npos ||
              saved.find("-A FAULTLINE-OUT " + match_out + tag + "-j DROP") != std::string::npos)
      << saved;
  EXPECT_EQ(count(saved, "-j DROP"), 2u) << saved;
  EXPECT_EQ(saved.find("-d " + n2.address), std::string::npos) << saved;
  auto listed = NetnsCluster::exec(n1.ns, {"ipset", "list", set}).output;
  EXPECT_NE(listed.find("Type: hash:net"), std::string::npos) << listed;
  EXPECT_NE(listed.find("10.99.0.0/16"), std::string::npos) << listed;
  EXPECT_NE(listed.find(n2.address), std::string::npos) << listed;
  EXPECT_NE(listed.find("Number of entries: " + std::to_string(kManyPeers)), std::string::npos) << listed;

  // Cut both ways, established TCP too (its conntrack entry was deleted).
  EXPECT_EQ(conntrack_entries(n1.ns, n2.address), 0);
  EXPECT_EQ(udp_delivered(n1.ns, n2.ns, n2.address, 20), 0);
  EXPECT_EQ(udp_delivered(n2.ns, n1.ns, n1.address, 20), 0);
  EXPECT_FALSE(tcp_byte(tcp12->client.get(), tcp12->server.get(), 300));
  EXPECT_FALSE(tcp_connects(n2.ns, n1.ns, n1.address, 300));
  // Not a peer: untouched. The control connection: exempt.
  EXPECT_EQ(udp_delivered(n1.ns, n3.ns, n3.address, 20), 20);
  EXPECT_EQ(udp_delivered(n3.ns, n1.ns, n1.address, 20), 20);
  EXPECT_TRUE(tcp_byte(control->client.get(), control->server.get(), 500));
  EXPECT_TRUE(tcp_byte(control->server.get(), control->client.get(), 500));

  IptablesPartition fresh;  // a restarted agent: only the record
  auto healed = heal_in(n1.ns, fresh, *record, {});
  ASSERT_TRUE(healed.ok()) << healed.error().message;
  EXPECT_TRUE(heal_in(n1.ns, fresh, *record, {}).ok());  // idempotent
  EXPECT_EQ(udp_delivered(n1.ns, n2.ns, n2.address, 20), 20);
  EXPECT_EQ(udp_delivered(n2.ns, n1.ns, n1.address, 20), 20);
  EXPECT_TRUE(tcp_byte(tcp12->client.get(), tcp12->server.get(), 4000));  // retransmitted after heal
  saved = iptables_save(n1.ns);
  EXPECT_EQ(saved.find("faultline"), std::string::npos) << saved;
  EXPECT_EQ(saved.find("FAULTLINE"), std::string::npos) << saved;
  EXPECT_EQ(ipset_names(n1.ns), "") << ipset_names(n1.ns);
}

TEST(PartitionSet, ApplyingTheSameRecordAgainReplacesTheSetAndItsRules) {
  if (!program_in_path("ipset")) GTEST_SKIP() << "the ipset program (to observe sets) is not installed";
  auto cluster = NetnsCluster::create(2);
  ASSERT_TRUE(cluster.ok()) << cluster.error().message;
  auto& c = **cluster;
  const auto &n1 = c.node(0), &n2 = c.node(1);
  IptablesPartition mechanism;
  auto record = plan_apply_in(n1.ns, mechanism, many_peers_spec(n2.address));
  ASSERT_TRUE(record.ok()) << record.error().message;
  {
    ScopedNetns in(n1.ns);
    ASSERT_TRUE(in.ok());
    auto again = mechanism.apply(through_journal(*record), {});
    ASSERT_TRUE(again.ok()) << again.error().message;
  }
  auto saved = iptables_save(n1.ns);
  EXPECT_EQ(count(saved, "--match-set"), 2u) << saved;
  EXPECT_EQ(ipset_names(n1.ns), record->value("set", "") + "\n");  // no temporary set left
  EXPECT_EQ(udp_delivered(n1.ns, n2.ns, n2.address, 20), 0);
  ASSERT_TRUE(heal_in(n1.ns, mechanism, *record).ok());
  EXPECT_EQ(iptables_save(n1.ns).find("faultline"), std::string::npos);
  EXPECT_EQ(ipset_names(n1.ns), "");
  EXPECT_EQ(udp_delivered(n1.ns, n2.ns, n2.address, 20), 20);
}

TEST(PartitionSet, FewPeersKeepOneRulePerPeerAndNoSet) {
  auto cluster = NetnsCluster::create(2);
  ASSERT_TRUE(cluster.ok()) << cluster.error().message;
  auto& c = **cluster;
  IptablesPartition mechanism;
  auto record = plan_apply_in(c.node(0).ns, mechanism,
                              R"({"kind":"partition","peers":[")" + c.node(1).address + R"(","198.18.200.9","198.18.200.10"]})");
  ASSERT_TRUE(record.ok()) << record.error().message;
  EXPECT_FALSE(record->contains("set"));
  auto saved = iptables_save(c.node(0).ns);
  EXPECT_NE(saved.find("-A FAULTLINE-OUT -d " + c.node(1).address + "/32"), std::string::npos) << saved;
  EXPECT_EQ(saved.find("--match-set"), std::string::npos) << saved;
  ASSERT_TRUE(heal_in(c.node(0).ns, mechanism, *record).ok());
  EXPECT_EQ(iptables_save(c.node(0).ns).find("faultline"), std::string::npos);
}

// Where the host's iptables is the legacy one, the same rules go through
// iptables-legacy-restore, and the set is matched the same way.
TEST(PartitionSet, LegacyIptablesMatchesTheSameSet) {
  if (!program_in_path("iptables-legacy-restore") || !program_in_path("ipset"))
    GTEST_SKIP() << "iptables-legacy or ipset not installed";
  auto cluster = NetnsCluster::create(2);
  ASSERT_TRUE(cluster.ok()) << cluster.error().message;
  auto& c = **cluster;
  const auto &n1 = c.node(0), &n2 = c.node(1);
  IptablesOptions legacy;
  legacy.restore_program = "iptables-legacy-restore";
  legacy.save_program = "iptables-legacy-save";
  const std::string set = "faultline-legacytest";
  {
    ScopedNetns in(n1.ns);
    ASSERT_TRUE(in.ok());
    auto peer = parse_ipv4_prefix(n2.address);
    ASSERT_TRUE(peer.ok());
    ASSERT_TRUE(ipset_fill(set, {*peer}).ok());
    auto applied = IptablesChains(legacy).apply(
        "lg", {Rule{.hook = Hook::kInput, .set = Rule::SetMatch{set, true}},
               Rule{.hook = Hook::kOutput, .set = Rule::SetMatch{set, false}}},
        {});
    ASSERT_TRUE(applied.ok()) << applied.error().message;
  }
  auto saved = NetnsCluster::exec(n1.ns, {"iptables-legacy-save"}).output;
  EXPECT_NE(saved.find("--match-set " + set + " dst"), std::string::npos) << saved;
  EXPECT_EQ(udp_delivered(n1.ns, n2.ns, n2.address, 20), 0);
  EXPECT_EQ(udp_delivered(n2.ns, n1.ns, n1.address, 20), 0);
  {
    ScopedNetns in(n1.ns);
    ASSERT_TRUE(IptablesChains(legacy).heal("lg").ok());
    auto destroyed = ipset_destroy(set);
    EXPECT_TRUE(destroyed.ok()) << destroyed.error().message;
    EXPECT_FALSE(ipset_exists(set));
  }
  EXPECT_EQ(NetnsCluster::exec(n1.ns, {"iptables-legacy-save"}).output.find("faultline"), std::string::npos);
  EXPECT_EQ(ipset_names(n1.ns), "");
  EXPECT_EQ(udp_delivered(n1.ns, n2.ns, n2.address, 20), 20);
}
