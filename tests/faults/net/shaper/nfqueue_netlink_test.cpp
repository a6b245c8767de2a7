// nfqueue_fast_apply (faults/net/shaper/nfqueue_netlink.h) against the
// iptables-restore batch it replaces, in a scratch namespace: the same
// iptables-save text, the same replace-by-id, IptablesChains::heal removes
// what it made, and anything outside its vocabulary changes nothing.
#include <gtest/gtest.h>
#include <unistd.h>

#include <sstream>

#include <nlohmann/json.hpp>

#include "faults/net/command.h"
#include "faults/net/net_params.h"
#include "faults/net/shaper/nfqueue_netlink.h"
#include "faults/net/shaper/shaper_mechanism.h"
#include "tests/support/netns.h"

using faultline::testing::NetnsCluster;
namespace net = faultline::faults::net;
namespace shaper = faultline::faults::shaper;

namespace {

// iptables-save -t mangle without its date comments and counters.
std::string save_mangle() {
  auto out = net::run_command({"iptables-save", "-t", "mangle"});
  if (!out) return "error: " + out.error().message;
  std::istringstream in(out->out);
  std::string line, kept;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    if (line[0] == ':') line = line.substr(0, line.find(' ', line.find(' ') + 1));
    kept += line + "\n";
  }
  return kept;
}

std::vector<net::Rule> nfqueue_rules(std::uint16_t queue) {
  auto to = [](const char* address) { return net::parse_ipv4_prefix(address).value(); };
  std::vector<net::Rule> rules = {net::Rule{.interface = "eth0", .destination = to("198.51.100.7")},
                                  net::Rule{.interface = "lo", .interface_negated = true, .destination = to("198.51.100.8/32")},
                                  net::Rule{.interface = "eth0"}};
  for (auto& r : rules) {
    r.hook = net::Hook::kOutput;
    r.target = net::Rule::Target::kNfqueue;
    r.queue = queue;
    r.queue_bypass = true;
  }
  return rules;
}

// nfqueue_fast_apply's answer as a bool, its reason (if any) in *why.
bool fast(const net::IptablesOptions& options, const std::string& id, const std::vector<net::Rule>& rules,
          const std::vector<net::Rule>& exemptions, std::string* why) {
  auto done = shaper::nfqueue_fast_apply(options, id, rules, exemptions);
  *why = done ? "" : done.error().message;
  return done.ok();
}

const std::vector<faultline::faults::Exemption> kExemptions = {{"198.51.100.1", 7450}, {"", 7451}};

// The reference: the iptables-restore batch itself (IptablesChains::apply
// would take its own nf_tables fast path where it can).
bool restore_apply(const net::IptablesChains& chains, const std::string& id, const std::vector<net::Rule>& rules) {
  auto save = net::run_command({"iptables-save", "-t", chains.options().table});
  if (!save) return false;
  auto restored = net::run_command({"iptables-restore", "-w", "--noflush"},
                                   chains.build_apply_batch(save->out, id, rules, kExemptions));
  return restored.ok() && restored->exit_code == 0;
}

}  // namespace

TEST(NfqueueNetlink, SameRulesAsIptablesRestoreAndHealedByIt) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root (network namespaces, iptables)";
  auto cluster = NetnsCluster::create(1);
  ASSERT_TRUE(cluster.ok()) << cluster.error().message;
  auto out = NetnsCluster::run_in_capture((*cluster)->node(0).ns, [] {
    nlohmann::json r;
    net::IptablesChains chains(shaper::shaper_iptables_options());
    auto exempt = net::IptablesChains::exemption_rules(kExemptions);
    std::string why;
    // The reference: one iptables-restore batch (it makes the mangle table).
    r["restore_ok"] = restore_apply(chains, "eq", nfqueue_rules(17921));
    r["by_restore"] = save_mangle();
    r["heal1"] = chains.heal("eq").ok();
    r["empty"] = save_mangle();
    // The fast path: same text; applying again replaces; heal removes all.
    r["fast"] = fast(chains.options(), "eq", nfqueue_rules(17921), exempt, &why);
    r["why"] = why;
    r["by_fast"] = save_mangle();
    r["fast_again"] = fast(chains.options(), "eq", nfqueue_rules(17921), exempt, &why);
    r["by_fast_again"] = save_mangle();
    // Two faults side by side: healing one leaves the other's rules.
    r["fast_other"] = fast(chains.options(), "other", nfqueue_rules(17922), exempt, &why);
    r["heal_eq"] = chains.heal("eq").ok();
    r["other_left"] = chains.rules_of("other").ok() ? chains.rules_of("other")->size() : 0;
    r["eq_left"] = chains.rules_of("eq").ok() ? chains.rules_of("eq")->size() : 99;
    r["heal_other"] = chains.heal("other").ok();
    r["empty_after"] = save_mangle();
    // Outside the vocabulary: refused, nothing changed.
    std::vector<net::Rule> udp = {net::Rule{.hook = net::Hook::kOutput, .protocol = net::Protocol::kUdp,
                                            .target = net::Rule::Target::kNfqueue, .queue = 1}};
    r["fast_udp"] = fast(chains.options(), "udp", udp, exempt, &why);
    r["after_udp"] = save_mangle();
    return r.dump();
  });
  ASSERT_TRUE(out.ok()) << out.error().message;
  auto r = nlohmann::json::parse(*out, nullptr, false);
  ASSERT_FALSE(r.is_discarded()) << *out;
  if (!r["fast"].get<bool>() && r["why"].get<std::string>().find("nf_tables backend") != std::string::npos)
    GTEST_SKIP() << "iptables is not on the nf_tables backend here: " << r["why"];
  EXPECT_TRUE(r["restore_ok"].get<bool>());
  EXPECT_TRUE(r["heal1"].get<bool>());
  ASSERT_TRUE(r["fast"].get<bool>()) << r["why"];
  EXPECT_EQ(r["by_fast"], r["by_restore"]);
  EXPECT_NE(r["by_fast"].get<std::string>().find("-j NFQUEUE --queue-num 17921 --queue-bypass"), std::string::npos)
      << r["by_fast"];
  EXPECT_TRUE(r["fast_again"].get<bool>());
  EXPECT_EQ(r["by_fast_again"], r["by_restore"]);
  EXPECT_TRUE(r["fast_other"].get<bool>());
  EXPECT_TRUE(r["heal_eq"].get<bool>());
  EXPECT_EQ(r["eq_left"], 0);
  EXPECT_EQ(r["other_left"], 5);  // 2 exemptions + 3 rules
  EXPECT_TRUE(r["heal_other"].get<bool>());
  EXPECT_EQ(r["empty_after"], r["empty"]);
  EXPECT_EQ(r["empty_after"].get<std::string>().find("faultline"), std::string::npos) << r["empty_after"];
  EXPECT_FALSE(r["fast_udp"].get<bool>());
  EXPECT_EQ(r["after_udp"], r["empty"]);
}

// `type route hook output priority mangle; policy accept;`: how a chain is hooked.
std::string mangle_chain_header(const std::string& chain) {
  auto out = net::run_command({"nft", "list", "chain", "ip", "mangle", chain});
  if (!out) return "error: " + out.error().message;
  auto at = out->out.find("type ");
  return at == std::string::npos ? "no hook in: " + out->out : out->out.substr(at, out->out.find('\n', at) - at);
}

// A fresh host has no mangle table: the fast path makes it and the built-in
// chain as iptables-nft does on first use (OUTPUT of type route).
TEST(NfqueueNetlink, MakesTheMangleTableAndChainAsIptablesNftDoes) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root (network namespaces, iptables)";
  auto cluster = NetnsCluster::create(2);
  ASSERT_TRUE(cluster.ok()) << cluster.error().message;
  auto state = [](bool use_fast) {
    return [use_fast] {
      nlohmann::json r;
      net::IptablesChains chains(shaper::shaper_iptables_options());
      std::string why;
      if (use_fast)
        r["ok"] = fast(chains.options(), "eq", nfqueue_rules(17921),
                       net::IptablesChains::exemption_rules(kExemptions), &why);
      else
        r["ok"] = restore_apply(chains, "eq", nfqueue_rules(17921));
      r["why"] = why;
      r["save"] = save_mangle();
      r["header"] = mangle_chain_header("OUTPUT");
      r["heal"] = chains.heal("eq").ok();
      r["after"] = save_mangle();
      return r.dump();
    };
  };
  auto by_restore = NetnsCluster::run_in_capture((*cluster)->node(0).ns, state(false));
  auto by_fast = NetnsCluster::run_in_capture((*cluster)->node(1).ns, state(true));
  ASSERT_TRUE(by_restore.ok() && by_fast.ok());
  auto ref = nlohmann::json::parse(*by_restore, nullptr, false), got = nlohmann::json::parse(*by_fast, nullptr, false);
  ASSERT_FALSE(ref.is_discarded() || got.is_discarded()) << *by_restore << *by_fast;
  if (!got["ok"].get<bool>() && got["why"].get<std::string>().find("nf_tables backend") != std::string::npos)
    GTEST_SKIP() << "iptables is not on the nf_tables backend here: " << got["why"];
  ASSERT_TRUE(ref["ok"].get<bool>());
  ASSERT_TRUE(got["ok"].get<bool>()) << got["why"];
  EXPECT_EQ(got["save"], ref["save"]);
  EXPECT_EQ(got["header"], ref["header"]);
  EXPECT_NE(got["header"].get<std::string>().find("type route hook output priority mangle"), std::string::npos)
      << got["header"];
  EXPECT_TRUE(got["heal"].get<bool>());
  EXPECT_EQ(got["after"], ref["after"]);
}

// The ingress mirror image: INPUT, -i, the peers as sources, exemptions by
// destination port, in FAULTLINE-IN; the same text as iptables-restore's.
TEST(NfqueueNetlink, IngressRulesOnInputAreTheSameAsIptablesRestore) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root (network namespaces, iptables)";
  auto cluster = NetnsCluster::create(1);
  ASSERT_TRUE(cluster.ok()) << cluster.error().message;
  auto out = NetnsCluster::run_in_capture((*cluster)->node(0).ns, [] {
    auto from = [](const char* address) { return net::parse_ipv4_prefix(address).value(); };
    std::vector<net::Rule> rules = {net::Rule{.interface = "eth0", .source = from("198.51.100.7")},
                                    net::Rule{.interface = "lo", .interface_negated = true, .source = from("198.51.100.8/32")},
                                    net::Rule{.interface = "eth0"}};
    for (auto& r : rules) {
      r.hook = net::Hook::kInput;
      r.target = net::Rule::Target::kNfqueue;
      r.queue = 17921;
      r.queue_bypass = true;
    }
    nlohmann::json r;
    net::IptablesChains chains(shaper::shaper_iptables_options());
    auto exempt = net::IptablesChains::exemption_rules(kExemptions);
    std::string why;
    r["restore_ok"] = restore_apply(chains, "in", rules);
    r["by_restore"] = save_mangle();
    r["heal1"] = chains.heal("in").ok();
    r["empty"] = save_mangle();
    r["fast"] = fast(chains.options(), "in", rules, exempt, &why);
    r["why"] = why;
    r["by_fast"] = save_mangle();
    r["heal2"] = chains.heal("in").ok();
    r["empty_after"] = save_mangle();
    // Mixed hooks are outside the vocabulary: refused, nothing changed.
    auto mixed = rules;
    mixed.push_back(net::Rule{.hook = net::Hook::kOutput, .interface = "eth0", .target = net::Rule::Target::kNfqueue,
                              .queue = 1});
    r["fast_mixed"] = fast(chains.options(), "mixed", mixed, exempt, &why);
    r["after_mixed"] = save_mangle();
    return r.dump();
  });
  ASSERT_TRUE(out.ok()) << out.error().message;
  auto r = nlohmann::json::parse(*out, nullptr, false);
  ASSERT_FALSE(r.is_discarded()) << *out;
  if (!r["fast"].get<bool>() && r["why"].get<std::string>().find("nf_tables backend") != std::string::npos)
    GTEST_SKIP() << "iptables is not on the nf_tables backend here: " << r["why"];
  EXPECT_TRUE(r["restore_ok"].get<bool>());
  EXPECT_TRUE(r["heal1"].get<bool>());
  ASSERT_TRUE(r["fast"].get<bool>()) << r["why"];
  EXPECT_EQ(r["by_fast"], r["by_restore"]);
  EXPECT_NE(r["by_fast"].get<std::string>().find("-A FAULTLINE-IN -s 198.51.100.7/32 -i eth0"), std::string::npos)
      << r["by_fast"];
  // The control connection's exemption: a RETURN by destination address and port.
  bool exemption = false;
  std::istringstream lines(r["by_fast"].get<std::string>());
  for (std::string line; std::getline(lines, line);) {
    bool all = true;
    for (const char* word : {"-A FAULTLINE-IN ", "-d 198.51.100.1/32", "--dport 7450", "faultline:in", "-j RETURN"})
      all = all && line.find(word) != std::string::npos;
    exemption = exemption || all;
  }
  EXPECT_TRUE(exemption) << r["by_fast"];
  EXPECT_TRUE(r["heal2"].get<bool>());
  EXPECT_EQ(r["empty_after"], r["empty"]);
  EXPECT_FALSE(r["fast_mixed"].get<bool>());
  EXPECT_EQ(r["after_mixed"], r["empty"]);
}
