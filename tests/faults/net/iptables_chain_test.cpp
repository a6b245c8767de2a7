// IptablesChains against real iptables, inside a namespace of our own.
#include <gtest/gtest.h>

#include "faults/net/command.h"
#include "faults/net/iptables_chain.h"
#include "tests/faults/net/rule_samples.h"
#include "tests/support/netns.h"
#include "tests/support/traffic.h"

using namespace faultline::testing;
using namespace faultline::faults::net;
using faultline::faults::Exemption;
using samples::drop_from;
using samples::drop_to;

namespace {

std::string save_in(const std::string& ns) { return NetnsCluster::exec(ns, {"iptables-save", "-t", "filter"}).output; }

}  // namespace

TEST(IptablesChain, AppliesAtomicallyHealsExactlyOursAndNeverTouchesOthers) {
  auto cluster = NetnsCluster::create(2);
  ASSERT_TRUE(cluster.ok()) << cluster.error().message;
  auto& c = **cluster;
  const auto& a = c.node(0);
  const auto& b = c.node(1);
  // A rule of "the user", which we must never touch.
  ASSERT_EQ(NetnsCluster::exec(a.ns, {"iptables", "-A", "OUTPUT", "-d", "203.0.113.9", "-j", "DROP"}).exit_code, 0);

  {
    ScopedNetns in_a(a.ns);
    ASSERT_TRUE(in_a.ok());
    IptablesChains chains;
    ASSERT_TRUE(chains.check_available().ok());
    auto applied = chains.apply("f1", {drop_to(b.address)}, {Exemption{"", 7070}});
    ASSERT_TRUE(applied.ok()) << applied.error().message;
    auto second = chains.apply("f2", {drop_from(b.address)}, {});
    ASSERT_TRUE(second.ok()) << second.error().message;
    // A batch with a bad rule (a set that does not exist) changes nothing at all.
    Rule no_set = drop_to("198.18.0.78");
    no_set.set = Rule::SetMatch{"faultline-no-such-set", false};
    auto bad = chains.apply("f3", {drop_to("198.18.0.77"), no_set}, {});
    EXPECT_FALSE(bad.ok());
    auto f3 = chains.rules_of("f3");
    ASSERT_TRUE(f3.ok());
    EXPECT_TRUE(f3->empty());
    auto f1 = chains.rules_of("f1");
    ASSERT_TRUE(f1.ok());
    EXPECT_EQ(f1->size(), 2u);  // the drop + the exemption RETURN of the hook it uses
  }
  auto saved = save_in(a.ns);
  EXPECT_NE(saved.find("faultline:jump\" -j FAULTLINE-OUT"), std::string::npos) << saved;
  EXPECT_NE(saved.find("faultline:jump\" -j FAULTLINE-IN"), std::string::npos) << saved;
  // The exemption comes before the fault's rules.
  EXPECT_LT(saved.find("--sport 7070"), saved.find("-A FAULTLINE-OUT -d " + b.address)) << saved;
  EXPECT_EQ(udp_delivered(a.ns, b.ns, b.address, 10), 0);
  EXPECT_EQ(udp_delivered(b.ns, a.ns, a.address, 10), 0);

  {
    ScopedNetns in_a(a.ns);
    IptablesChains chains;
    ASSERT_TRUE(chains.heal("f1").ok());
    EXPECT_TRUE(chains.heal("f1").ok());  // idempotent
  }
  EXPECT_EQ(udp_delivered(a.ns, b.ns, b.address, 10), 10);
  EXPECT_EQ(udp_delivered(b.ns, a.ns, a.address, 10), 0);  // f2 still drops input from b
  saved = save_in(a.ns);
  EXPECT_EQ(saved.find("FAULTLINE-OUT"), std::string::npos) << saved;
  EXPECT_NE(saved.find("FAULTLINE-IN"), std::string::npos) << saved;

  {
    ScopedNetns in_a(a.ns);
    IptablesChains chains;
    ASSERT_TRUE(chains.heal("f2").ok());
  }
  saved = save_in(a.ns);
  EXPECT_EQ(saved.find("faultline"), std::string::npos) << saved;
  EXPECT_EQ(saved.find("FAULTLINE"), std::string::npos) << saved;
  EXPECT_NE(saved.find("-A OUTPUT -d 203.0.113.9/32 -j DROP"), std::string::npos) << saved;
  EXPECT_EQ(udp_delivered(b.ns, a.ns, a.address, 10), 10);
}

TEST(IptablesChain, ReapplyingAnIdReplacesItsRulesInOneStep) {
  auto cluster = NetnsCluster::create(1);
  ASSERT_TRUE(cluster.ok()) << cluster.error().message;
  const auto& a = (*cluster)->node(0);
  ScopedNetns in_a(a.ns);
  ASSERT_TRUE(in_a.ok());
  IptablesChains chains;
  ASSERT_TRUE(chains.apply("r1", {drop_to("198.18.0.7")}, {Exemption{"", 7450}}).ok());
  ASSERT_TRUE(chains.apply("r1", {drop_to("198.18.0.8"), drop_from("198.18.0.8")},
                           {Exemption{"", 7450}}).ok());
  auto rules = chains.rules_of("r1");
  ASSERT_TRUE(rules.ok());
  std::string all;
  for (const auto& r : *rules) all += r + "\n";
  EXPECT_EQ(rules->size(), 4u) << all;  // 2 drops + 2 exemptions, nothing of the first apply
  EXPECT_EQ(all.find("198.18.0.7"), std::string::npos) << all;
  EXPECT_NE(all.find("-d 198.18.0.8/32"), std::string::npos) << all;
  EXPECT_NE(all.find("--sport 7450"), std::string::npos) << all;
  ASSERT_TRUE(chains.heal("r1").ok());
  auto saved = NetnsCluster::exec(a.ns, {"iptables-save"}).output;
  EXPECT_EQ(saved.find("FAULTLINE"), std::string::npos) << saved;
}
