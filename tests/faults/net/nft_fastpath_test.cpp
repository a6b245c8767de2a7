// The nf_tables netlink fast path of IptablesChains against real iptables:
// what it builds must read back, in iptables-save, as what iptables-restore
// builds from the same rules (the comment aside: printed last), and its heal must remove
// exactly our rules (and chains/jumps when empty), in a namespace of our own.
#include <gtest/gtest.h>

#include <regex>

#include "faults/net/command.h"
#include "faults/net/iptables_chain.h"
#include "faults/net/nft_fastpath.h"
#include "faults/net/nft_netlink.h"
#include "tests/support/netns.h"
#include "tests/support/traffic.h"

using namespace faultline::testing;
using namespace faultline::faults::net;
using faultline::faults::Exemption;

namespace {

std::string save_in(const std::string& ns) {
  auto text = NetnsCluster::exec(ns, {"iptables-save", "-t", "filter"}).output;
  // Counters and the header/footer comments carry times and numbers.
  text = std::regex_replace(text, std::regex("\\[[0-9]+:[0-9]+\\]"), "[0:0]");
  text = std::regex_replace(text, std::regex("(^|\n)#[^\n]*"), "");
  // The fast path's comment is rule user data, which iptables-save prints
  // after the other matches; iptables-restore's is a match where it was
  // written. Same rule: compare with the comment moved to the end.
  return std::regex_replace(text, std::regex("( -m comment --comment \"[^\"]*\")(.*?)( -[jg] [^\n]*)"), "$2$1$3");
}

// A fresh socket per call, as IptablesChains makes one per apply/heal.
struct Fresh {
  nft::NftSocket socket;
  operator nft::NftSocket&() { return socket; }
};

std::vector<IptablesRule> sample_rules(const std::string& peer) {
  return {{Hook::kInput, {"-s", peer, "-j", "DROP"}},
          {Hook::kOutput, {"-d", peer, "-j", "DROP"}},
          {Hook::kOutput, {"-d", "10.20.0.0/16", "-j", "DROP"}},
          {Hook::kOutput, {"-d", "10.21.16.0/20", "-j", "DROP"}},
          {Hook::kOutput, {"!", "-o", "lo", "-d", "10.22.0.0/8", "-j", "DROP"}},
          {Hook::kOutput, {"-o", "eth0", "-p", "udp", "--dport", "9999", "-j", "DROP"}},
          {Hook::kOutput, {"!", "-o", "lo", "-m", "statistic", "--mode", "random", "--probability", "0.300000",
                           "-j", "DROP"}},
          {Hook::kInput, {"-i", "eth0", "-p", "tcp", "--sport", "81", "-j", "ACCEPT"}}};
}

}  // namespace

TEST(NftFastPath, BuildsWhatIptablesRestoreBuildsAndHealsOnlyOurs) {
  if (!nft::iptables_on_nf_tables()) GTEST_SKIP() << "iptables is not on the nf_tables backend here";
  auto cluster = NetnsCluster::create(1);
  ASSERT_TRUE(cluster.ok()) << cluster.error().message;
  const auto& a = (*cluster)->node(0);
  // The user's rules (base chains exist, as after any iptables use), never touched.
  ASSERT_EQ(NetnsCluster::exec(a.ns, {"iptables", "-A", "OUTPUT", "-d", "203.0.113.9", "-j", "DROP"}).exit_code, 0);
  ASSERT_EQ(NetnsCluster::exec(a.ns, {"iptables", "-A", "INPUT", "-s", "203.0.113.9", "-j", "DROP"}).exit_code, 0);
  const std::string before = save_in(a.ns);
  const auto rules = sample_rules("198.18.0.77");
  const std::vector<Exemption> exemptions = {Exemption{"", 7450}, Exemption{"127.0.0.1", 7070}};

  // 1. The reference: the iptables-restore batch.
  IptablesOptions options;
  IptablesChains chains(options);
  {
    ScopedNetns in_a(a.ns);
    ASSERT_TRUE(in_a.ok());
    auto save = run_command({"iptables-save", "-t", "filter"});
    ASSERT_TRUE(save.ok());
    auto batch = chains.build_apply_batch(save->out, "ref1", rules, exemptions);
    auto restored = run_command({"iptables-restore", "-w", "--noflush"}, batch);
    ASSERT_TRUE(restored.ok() && restored->exit_code == 0) << batch << (restored.ok() ? restored->err : "");
  }
  const std::string by_restore = save_in(a.ns);
  {
    ScopedNetns in_a(a.ns);
    std::string why;
    ASSERT_TRUE(nft_fast_heal(options, "ref1", &why, Fresh())) << why;
  }
  EXPECT_EQ(save_in(a.ns), before);

  // 2. The same through netlink: identical iptables-save text.
  {
    ScopedNetns in_a(a.ns);
    std::string why;
    ASSERT_TRUE(nft_fast_apply(options, "ref1", rules, IptablesChains::exemption_rules(exemptions), &why, Fresh())) << why;
  }
  EXPECT_EQ(save_in(a.ns), by_restore);
  {
    ScopedNetns in_a(a.ns);
    std::string why;
    // Re-applying replaces; a second fault shares our chains; healing one
    // leaves the other whole; healing twice is fine.
    ASSERT_TRUE(nft_fast_apply(options, "ref1", rules, IptablesChains::exemption_rules(exemptions), &why, Fresh())) << why;
    ASSERT_TRUE(nft_fast_apply(options, "other", {{Hook::kOutput, {"-d", "198.18.0.78", "-j", "DROP"}}}, {}, &why, Fresh()))
        << why;
    ASSERT_TRUE(nft_fast_heal(options, "ref1", &why, Fresh())) << why;
    ASSERT_TRUE(nft_fast_heal(options, "ref1", &why, Fresh())) << why;
    auto left = chains.rules_of("other");
    ASSERT_TRUE(left.ok());
    EXPECT_EQ(left->size(), 1u);
    auto gone = chains.rules_of("ref1");
    ASSERT_TRUE(gone.ok());
    EXPECT_TRUE(gone->empty());
  }
  std::string mid = save_in(a.ns);
  EXPECT_NE(mid.find("-A FAULTLINE-OUT -d 198.18.0.78/32 -m comment --comment \"faultline:other\" -j DROP"),
            std::string::npos) << mid;
  EXPECT_EQ(mid.find("FAULTLINE-IN"), std::string::npos) << mid;  // emptied: chain and jump gone
  {
    ScopedNetns in_a(a.ns);
    ASSERT_TRUE(chains.heal("other").ok());  // through IptablesChains, as the mechanisms do
  }
  EXPECT_EQ(save_in(a.ns), before);

  // 3. Rules from iptables-restore are healed by netlink (and the other way
  // round is what the legacy fallback does: iptables-restore -D).
  {
    ScopedNetns in_a(a.ns);
    std::string why;
    ASSERT_TRUE(nft_fast_apply(options, "x1", rules, IptablesChains::exemption_rules(exemptions), &why, Fresh())) << why;
    auto save = run_command({"iptables-save", "-t", "filter"});
    ASSERT_TRUE(save.ok());
    auto batch = chains.build_heal_batch(save->out, "x1");
    auto restored = run_command({"iptables-restore", "-w", "--noflush"}, batch);
    ASSERT_TRUE(restored.ok() && restored->exit_code == 0) << batch << (restored.ok() ? restored->err : "");
  }
  EXPECT_EQ(save_in(a.ns), before);
}

TEST(NftFastPath, RefusesWhatItCannotBuildAndChangesNothing) {
  if (!nft::iptables_on_nf_tables()) GTEST_SKIP() << "iptables is not on the nf_tables backend here";
  auto cluster = NetnsCluster::create(1);
  ASSERT_TRUE(cluster.ok()) << cluster.error().message;
  const auto& a = (*cluster)->node(0);
  IptablesOptions options;
  {
    ScopedNetns in_a(a.ns);
    std::string why;
    // A fresh namespace has no filter table: iptables-nft makes it, not us.
    EXPECT_FALSE(nft_fast_apply(options, "f", {{Hook::kOutput, {"-d", "198.18.0.9", "-j", "DROP"}}}, {}, &why, Fresh()));
    EXPECT_NE(why.find("base chain"), std::string::npos) << why;
    EXPECT_TRUE(nft_fast_heal(options, "f", &why, Fresh())) << why;  // nothing of ours: nothing to do
  }
  ASSERT_EQ(NetnsCluster::exec(a.ns, {"iptables", "-A", "OUTPUT", "-d", "203.0.113.9", "-j", "DROP"}).exit_code, 0);
  const std::string before = save_in(a.ns);
  {
    ScopedNetns in_a(a.ns);
    std::string why;
    EXPECT_FALSE(nft_fast_apply(options, "f", {{Hook::kOutput, {"-j", "NFQUEUE", "--queue-num", "3"}}}, {}, &why, Fresh()));
    EXPECT_FALSE(nft_fast_apply(options, "f", {{Hook::kOutput, {"-o", "eth+", "-j", "DROP"}}}, {}, &why, Fresh()));
    EXPECT_FALSE(nft_fast_apply(options, "f", {{Hook::kOutput, {"!", "-d", "10.0.0.1", "-j", "DROP"}}}, {}, &why, Fresh()));
    EXPECT_FALSE(nft_fast_apply(options, "f", {{Hook::kOutput, {"--dport", "80", "-j", "DROP"}}}, {}, &why, Fresh()));
  }
  EXPECT_EQ(save_in(a.ns), before);
}

