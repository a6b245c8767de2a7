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
#include "tests/faults/net/rule_samples.h"
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

// A fresh socket per call, as IptablesChains makes one per apply/heal; ""
// when the fast path did it, else why not.
std::string fast_apply(const IptablesOptions& options, std::string_view id, const std::vector<Rule>& rules,
                       const std::vector<Exemption>& exemptions) {
  auto socket = netlink::Socket::open();
  if (!socket) return socket.error().message;
  auto done = nft_fast_apply(options, id, rules, IptablesChains::exemption_rules(exemptions), *socket);
  return done ? "" : done.error().message;
}
std::string fast_heal(const IptablesOptions& options, std::string_view id) {
  auto socket = netlink::Socket::open();
  if (!socket) return socket.error().message;
  auto done = nft_fast_heal(options, id, *socket);
  return done ? "" : done.error().message;
}

std::vector<Rule> sample_rules(const std::string& peer) {
  using samples::ip;
  using T = Rule::Target;
  const std::vector<std::pair<std::uint16_t, std::uint16_t>> etcd = {{2380, 2380}, {8000, 8100}};
  return {samples::drop_from(peer),
          samples::drop_to(peer),
          samples::drop_to("10.20.0.0/16"),
          samples::drop_to("10.21.16.0/20"),
          Rule{.hook = Hook::kOutput, .interface = "lo", .interface_negated = true, .destination = ip("10.22.0.0/8")},
          Rule{.hook = Hook::kOutput, .interface = "eth0", .protocol = Protocol::kUdp, .destination_port = 9999},
          Rule{.hook = Hook::kOutput, .interface = "lo", .interface_negated = true, .probability = 0.3},
          Rule{.hook = Hook::kInput, .interface = "eth0", .protocol = Protocol::kTcp, .source_port = 81,
               .target = T::kAccept},
          // keep_established, ports, both, with a statistic, a queue
          Rule{.hook = Hook::kInput, .source = ip(peer), .protocol = Protocol::kTcp, .syn_only = true},
          Rule{.hook = Hook::kOutput, .destination = ip(peer), .protocol = Protocol::kNotTcp, .new_only = true},
          Rule{.hook = Hook::kInput, .source = ip(peer), .protocol = Protocol::kTcp, .ports = etcd, .syn_only = true},
          Rule{.hook = Hook::kOutput, .destination = ip(peer), .protocol = Protocol::kUdp, .ports = etcd,
               .new_only = true},
          Rule{.hook = Hook::kOutput, .interface = "lo", .interface_negated = true, .destination = ip("198.18.0.3"),
               .protocol = Protocol::kTcp, .ports = {{2380, 2380}}, .probability = 0.3},
          Rule{.hook = Hook::kOutput, .interface = "eth0", .target = T::kNfqueue, .queue = 3, .queue_bypass = true}};
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
    ASSERT_EQ(fast_heal(options, "ref1"), "");
  }
  EXPECT_EQ(save_in(a.ns), before);

  // 2. The same through netlink: identical iptables-save text.
  {
    ScopedNetns in_a(a.ns);
    ASSERT_EQ(fast_apply(options, "ref1", rules, exemptions), "");
  }
  EXPECT_EQ(save_in(a.ns), by_restore);
  {
    ScopedNetns in_a(a.ns);
    // Re-applying replaces; a second fault shares our chains; healing one
    // leaves the other whole; healing twice is fine.
    ASSERT_EQ(fast_apply(options, "ref1", rules, exemptions), "");
    ASSERT_EQ(fast_apply(options, "other", {samples::drop_to("198.18.0.78")}, {}), "");
    ASSERT_EQ(fast_heal(options, "ref1"), "");
    ASSERT_EQ(fast_heal(options, "ref1"), "");
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
    ASSERT_EQ(fast_apply(options, "x1", rules, exemptions), "");
    auto save = run_command({"iptables-save", "-t", "filter"});
    ASSERT_TRUE(save.ok());
    auto batch = chains.build_heal_batch(save->out, "x1");
    auto restored = run_command({"iptables-restore", "-w", "--noflush"}, batch);
    ASSERT_TRUE(restored.ok() && restored->exit_code == 0) << batch << (restored.ok() ? restored->err : "");
  }
  EXPECT_EQ(save_in(a.ns), before);
}

// `type filter hook input priority filter; policy accept;`: how a chain is hooked.
static std::string chain_header(const std::string& ns, const std::string& chain) {
  auto text = NetnsCluster::exec(ns, {"nft", "list", "chain", "ip", "filter", chain}).output;
  auto at = text.find("type ");
  return at == std::string::npos ? "no hook in: " + text : text.substr(at, text.find('\n', at) - at);
}

// A fresh host has no filter table, and `iptables -F; iptables -X` (Jepsen's
// heal) deletes the empty built-in chains: the fast path makes them as
// iptables-nft would, instead of leaving the fault to iptables-restore.
TEST(NftFastPath, MakesTheTableAndBuiltInChainsAsIptablesNftDoes) {
  if (!nft::iptables_on_nf_tables()) GTEST_SKIP() << "iptables is not on the nf_tables backend here";
  auto cluster = NetnsCluster::create(2);
  ASSERT_TRUE(cluster.ok()) << cluster.error().message;
  const auto& ref = (*cluster)->node(0);
  const auto& fresh = (*cluster)->node(1);
  const std::vector<Rule> rules = {samples::drop_from("198.18.0.77"), samples::drop_to("198.18.0.77")};
  const std::vector<Exemption> exemptions = {Exemption{"", 7450}};
  IptablesOptions options;
  IptablesChains chains(options);
  {
    ScopedNetns in_ref(ref.ns);
    auto batch = chains.build_apply_batch("", "t1", rules, exemptions);
    auto restored = run_command({"iptables-restore", "-w", "--noflush"}, batch);
    ASSERT_TRUE(restored.ok() && restored->exit_code == 0) << batch << (restored.ok() ? restored->err : "");
  }
  {
    ScopedNetns in_fresh(fresh.ns);
    ASSERT_EQ(fast_apply(options, "t1", rules, exemptions), "");
  }
  EXPECT_EQ(save_in(fresh.ns), save_in(ref.ns));
  for (const char* chain : {"INPUT", "OUTPUT"}) {
    EXPECT_EQ(chain_header(fresh.ns, chain), chain_header(ref.ns, chain));
    EXPECT_NE(chain_header(fresh.ns, chain).find("priority filter; policy accept"), std::string::npos)
        << chain_header(fresh.ns, chain);
  }
  // Jepsen's heal on top, then the fast path again: the table is there, its
  // built-in chains are not.
  ASSERT_EQ(NetnsCluster::exec(fresh.ns, {"iptables", "-F", "-w"}).exit_code, 0);
  ASSERT_EQ(NetnsCluster::exec(fresh.ns, {"iptables", "-X", "-w"}).exit_code, 0);
  ASSERT_EQ(chain_header(fresh.ns, "INPUT").rfind("no hook", 0), 0u) << "iptables -X kept the built-in chains here";
  {
    ScopedNetns in_fresh(fresh.ns);
    ASSERT_EQ(fast_apply(options, "t1", rules, exemptions), "");
  }
  EXPECT_EQ(save_in(fresh.ns), save_in(ref.ns));
  {
    ScopedNetns in_fresh(fresh.ns);
    EXPECT_EQ(fast_heal(options, "t1"), "");
  }
  EXPECT_EQ(save_in(fresh.ns).find("faultline"), std::string::npos) << save_in(fresh.ns);
}

TEST(NftFastPath, RefusesWhatItCannotBuildAndChangesNothing) {
  if (!nft::iptables_on_nf_tables()) GTEST_SKIP() << "iptables is not on the nf_tables backend here";
  auto cluster = NetnsCluster::create(1);
  ASSERT_TRUE(cluster.ok()) << cluster.error().message;
  const auto& a = (*cluster)->node(0);
  IptablesOptions options;
  {
    ScopedNetns in_a(a.ns);
    EXPECT_EQ(fast_heal(options, "f"), "");  // nothing of ours: nothing to do
  }
  ASSERT_EQ(NetnsCluster::exec(a.ns, {"iptables", "-A", "OUTPUT", "-d", "203.0.113.9", "-j", "DROP"}).exit_code, 0);
  const std::string before = save_in(a.ns);
  {
    ScopedNetns in_a(a.ns);
    // An interface wildcard, a rule that does not check, a set that is not
    // there, and a good rule beside a bad one: refused, nothing changed.
    Rule no_set = samples::drop_to("10.0.0.1");
    no_set.set = Rule::SetMatch{"faultline-no-such-set", false};
    EXPECT_NE(fast_apply(options, "f", {Rule{.hook = Hook::kOutput, .interface = "eth+"}}, {}), "");
    EXPECT_NE(fast_apply(options, "f", {Rule{.hook = Hook::kOutput, .destination_port = 80}}, {}), "");
    EXPECT_NE(fast_apply(options, "f", {no_set}, {}), "");
    EXPECT_NE(fast_apply(options, "f", {samples::drop_to("10.0.0.2"), no_set}, {}), "");
  }
  EXPECT_EQ(save_in(a.ns), before);
}
