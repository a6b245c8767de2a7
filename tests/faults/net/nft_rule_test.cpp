// NftBatch::new_rule (faults/net/nft_netlink.h) renders each Rule as the
// expressions iptables-nft 1.8.9 builds from the same iptables words — the
// lists below are `nft --debug=netlink` of what iptables-restore made of
// rule_words() of the same rules — in order, with the protocol in the
// compat attributes and the comment as user data. No root needed.
#include <gtest/gtest.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nf_tables_compat.h>

#include <fmt/format.h>

#include "faults/net/netlink/message.h"
#include "faults/net/nft_netlink.h"
#include "tests/faults/net/rule_samples.h"

namespace faultline::faults::net {
namespace {

using netlink::Attributes;

std::string hex(const nlattr* value) {
  std::string out;
  auto* p = static_cast<const std::uint8_t*>(Attributes::payload(value));
  for (std::size_t i = 0; i < Attributes::payload_length(value); ++i) out += fmt::format("{:02x}", p[i]);
  return out;
}

std::string data_hex(const Attributes& a, int type) {
  if (!a.at(type)) return "?";
  Attributes d = Attributes::nested(a.at(type));
  return d.at(NFTA_DATA_VALUE) ? hex(d.at(NFTA_DATA_VALUE)) : "?";
}

// One expression as a short line, in the spirit of nft --debug=netlink.
std::string describe(const nlattr* elem) {
  Attributes expr = Attributes::nested(elem);
  const std::string name = expr.str(NFTA_EXPR_NAME);
  Attributes a = Attributes::nested(expr.at(NFTA_EXPR_DATA));
  if (name == "meta") {
    switch (a.be32(NFTA_META_KEY).value_or(0)) {
      case NFT_META_L4PROTO: return "meta l4proto";
      case NFT_META_IIFNAME: return "meta iifname";
      case NFT_META_OIFNAME: return "meta oifname";
      default: return "meta ?";
    }
  }
  if (name == "cmp")
    return fmt::format("cmp {} {}", a.be32(NFTA_CMP_OP) == NFT_CMP_EQ ? "eq" : "neq", data_hex(a, NFTA_CMP_DATA));
  if (name == "payload")
    return fmt::format("payload {}+{}/{}", a.be32(NFTA_PAYLOAD_BASE) == NFT_PAYLOAD_NETWORK_HEADER ? "nh" : "th",
                       a.be32(NFTA_PAYLOAD_OFFSET).value_or(99), a.be32(NFTA_PAYLOAD_LEN).value_or(99));
  if (name == "bitwise") return fmt::format("bitwise {} xor {}", data_hex(a, NFTA_BITWISE_MASK), data_hex(a, NFTA_BITWISE_XOR));
  if (name == "match") return fmt::format("match {} rev {}", a.str(NFTA_MATCH_NAME), a.be32(NFTA_MATCH_REV).value_or(99));
  if (name == "target")
    return fmt::format("target {} rev {}", a.str(NFTA_TARGET_NAME), a.be32(NFTA_TARGET_REV).value_or(99));
  if (name == "counter") return "counter";
  if (name == "immediate") {
    Attributes verdict = Attributes::nested(Attributes::nested(a.at(NFTA_IMMEDIATE_DATA)).at(NFTA_DATA_VERDICT));
    switch (static_cast<int>(verdict.be32(NFTA_VERDICT_CODE).value_or(0))) {
      case NF_DROP: return "drop";
      case NF_ACCEPT: return "accept";
      case NFT_RETURN: return "return";
      case NFT_JUMP: return "jump " + verdict.str(NFTA_VERDICT_CHAIN);
      default: return "verdict ?";
    }
  }
  return name;
}

// The expressions of the batch's one rule, then "compat P F" and the user-data comment.
std::vector<std::string> rendered(const Rule& rule, const nft::NewRule& how = {"faultline:f1"}) {
  nft::NftBatch batch("filter");
  auto added = batch.new_rule("FAULTLINE-OUT", rule, how, [](const std::string&) -> Result<std::uint16_t> { return 7; });
  EXPECT_TRUE(added.ok()) << added.error().message;
  std::vector<std::string> out;
  const auto& bytes = batch.messages().bytes();
  if (bytes.empty()) return out;
  auto* h = reinterpret_cast<const nlmsghdr*>(bytes.data());
  Attributes attrs = Attributes::of_message(h);
  EXPECT_EQ(attrs.str(NFTA_RULE_TABLE), "filter");
  EXPECT_EQ(attrs.str(NFTA_RULE_CHAIN), "FAULTLINE-OUT");
  netlink::for_each_in(attrs.at(NFTA_RULE_EXPRESSIONS), [&](const nlattr* e) { out.push_back(describe(e)); });
  Attributes compat = Attributes::nested(attrs.at(NFTA_RULE_COMPAT));
  out.push_back(fmt::format("compat {} {}", compat.be32(NFTA_RULE_COMPAT_PROTO).value_or(99),
                            compat.be32(NFTA_RULE_COMPAT_FLAGS).value_or(99)));
  if (auto* u = attrs.at(NFTA_RULE_USERDATA)) out.push_back("udata " + hex(u));
  return out;
}

using Lines = std::vector<std::string>;

TEST(NftRule, RendersWhatIptablesNftBuildsForTheSameWords) {
  const Lines drop = {"counter", "drop"};
  const Lines syn = {"payload th+13/1", "bitwise 17 xor 00", "cmp eq 02"};
  const Lines tcp = {"meta l4proto", "cmp eq 06"};
  auto cat = [](std::initializer_list<Lines> parts) {
    Lines all;
    for (const auto& p : parts) all.insert(all.end(), p.begin(), p.end());
    return all;
  };
  const std::vector<Lines> expected = {
      cat({{"payload nh+12/4", "cmp eq c6120002"}, drop, {"compat 0 0"}}),
      cat({{"payload nh+16/4", "bitwise fffff000 xor 00000000", "cmp eq 0a151000"}, drop, {"compat 0 0"}}),
      cat({tcp, {"payload nh+12/4", "cmp eq c6120002"}, syn, drop, {"compat 6 0"}}),
      cat({{"meta l4proto", "cmp neq 06", "payload nh+16/4", "cmp eq c6120002", "match conntrack rev 3"}, drop,
           {"compat 6 2"}}),
      cat({tcp, {"match set rev 4", "match multiport rev 1"}, syn, drop, {"compat 6 0"}}),
      cat({{"meta l4proto", "cmp eq 11", "match set rev 4", "match multiport rev 1", "match conntrack rev 3"}, drop,
           {"compat 17 0"}}),
      cat({{"meta oifname", "cmp neq 6c6f00"}, tcp,
           {"payload nh+16/4", "cmp eq c6120003", "match multiport rev 1", "match statistic rev 0"}, drop,
           {"compat 6 0"}}),
      cat({{"meta oifname", "cmp eq 6574683000"}, drop, {"compat 0 0"}}),
      cat({tcp, {"payload nh+16/4", "cmp eq 7f000001", "payload th+2/2", "cmp eq 1b9e", "counter", "return",
                 "compat 6 0"}}),
      cat({tcp, {"payload th+0/2", "cmp eq 1b9e", "counter", "return", "compat 6 0"}}),
      {"meta oifname", "cmp eq 6574683000", "payload nh+16/4", "cmp eq c6336407", "counter", "target NFQUEUE rev 3",
       "compat 0 0"},
  };
  const auto samples = samples::rendered_before();
  ASSERT_EQ(samples.size(), expected.size());
  // libnftnl's comment TLV: type 0, length, "faultline:f1\0".
  const std::string udata = "udata 000d" + std::string("6661756c746c696e653a663100");
  for (std::size_t i = 0; i < samples.size(); ++i) {
    auto want = expected[i];
    want.push_back(udata);
    EXPECT_EQ(rendered(samples[i].first), want) << "sample " << i;
  }
}

TEST(NftRule, CommentAsMatchAndJumps) {
  Rule jump{.hook = Hook::kInput, .target = Rule::Target::kJump, .jump = "FAULTLINE-IN"};
  EXPECT_EQ(rendered(jump, {"faultline:jump", false, /*comment_match=*/true}),
            (Lines{"match comment rev 0", "counter", "jump FAULTLINE-IN", "compat 0 0"}));
}

TEST(NftRule, RefusesWhatItCannotRenderAndAddsNothing) {
  nft::NftBatch batch("filter");
  EXPECT_FALSE(batch.new_rule("C", Rule{.interface = "eth+"}, {"c"}).ok());
  EXPECT_FALSE(batch.new_rule("C", Rule{.destination_port = 80}, {"c"}).ok());
  auto no_set = [](const std::string& name) -> Result<std::uint16_t> { return io_error("no set " + name); };
  EXPECT_FALSE(batch.new_rule("C", Rule{.set = Rule::SetMatch{"nope", true}}, {"c"}, no_set).ok());
  EXPECT_TRUE(batch.empty());
}

}  // namespace
}  // namespace faultline::faults::net
