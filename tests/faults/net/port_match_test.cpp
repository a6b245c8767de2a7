// PortMatch: "ports"/"protocol" to iptables matches and through a heal record.
#include <gtest/gtest.h>

#include "faults/net/port_match.h"

namespace faultline::faults::net {
namespace {

using nlohmann::json;
using Words = std::vector<std::string>;

// The iptables match words of each alternative.
std::vector<Words> words(const std::vector<Rule>& alternatives) {
  std::vector<Words> out;
  for (const auto& a : alternatives) out.push_back(match_words(a));
  return out;
}

TEST(PortMatch, NothingGivenMatchesEverything) {
  auto m = PortMatch::parse(json{{"kind", "loss"}});
  ASSERT_TRUE(m);
  EXPECT_TRUE(m->empty());
  EXPECT_EQ(words(m->alternatives()), std::vector<Words>{Words{}});
  EXPECT_EQ(m->describe(), "");
}

TEST(PortMatch, PortsWithoutProtocolAreTcpAndUdp) {
  auto m = PortMatch::parse(json{{"ports", {2380, "8000-8100"}}});
  ASSERT_TRUE(m);
  EXPECT_EQ(words(m->alternatives()), (std::vector<Words>{{"-p", "tcp", "-m", "multiport", "--ports", "2380,8000:8100"},
                                                   {"-p", "udp", "-m", "multiport", "--ports", "2380,8000:8100"}}));
  EXPECT_EQ(m->describe(), " (tcp/udp ports 2380, 8000-8100 only)");
  json record;
  m->to_json(record);
  EXPECT_EQ(record, (json{{"ports", {"2380", "8000-8100"}}, {"protocol", {"tcp", "udp"}}}));
  auto back = PortMatch::from_json(record);
  ASSERT_TRUE(back);
  EXPECT_EQ(words(back->alternatives()), words(m->alternatives()));
}

TEST(PortMatch, OneProtocolAndABarePort) {
  auto m = PortMatch::parse(json{{"ports", 2380}, {"protocol", "tcp"}});
  ASSERT_TRUE(m);
  EXPECT_EQ(words(m->alternatives()), (std::vector<Words>{{"-p", "tcp", "-m", "multiport", "--ports", "2380"}}));
  auto udp = PortMatch::parse(json{{"protocol", "udp"}});
  ASSERT_TRUE(udp);
  EXPECT_EQ(words(udp->alternatives()), (std::vector<Words>{{"-p", "udp"}}));
}

TEST(PortMatch, BadPortsAreRefused) {
  EXPECT_FALSE(PortMatch::parse(json{{"ports", 0}}));
  EXPECT_FALSE(PortMatch::parse(json{{"ports", "9-1"}}));
  EXPECT_FALSE(PortMatch::parse(json{{"ports", json::array()}}));
  EXPECT_FALSE(PortMatch::parse(json{{"ports", 80}, {"protocol", "sctp"}}));
  json many = json::array();
  for (int p = 1; p <= 16; ++p) many.push_back(p);
  EXPECT_FALSE(PortMatch::parse(json{{"ports", many}}));
}

}  // namespace
}  // namespace faultline::faults::net
