#include "faults/net/shaper/shaper_fault.h"

#include <gtest/gtest.h>

#include "faults/net/shaper/packet_plan.h"

namespace faultline::faults::shaper {
namespace {

// Built as is, not through FaultSpec::parse: the shaper's own parser also
// reads IPv6 prefixes, which the fault schema (IPv4, as every mechanism
// applies) refuses before they get here.
ShaperFault parse_ok(const char* json, const std::string& itf = "") {
  auto j = nlohmann::json::parse(json);
  FaultSpec spec{j.value("kind", std::string()), j, std::nullopt};
  auto fault = ShaperFault::parse(spec, itf);
  EXPECT_TRUE(fault) << json << ": " << (fault ? "" : fault.error().message);
  return fault ? *fault : ShaperFault{};
}

std::string parse_error(const char* json) {
  auto spec = FaultSpec::parse_text(json);
  if (!spec) return spec.error().message;
  auto fault = ShaperFault::parse(*spec, "");
  return fault ? std::string("(parsed)") : fault.error().message;
}

TEST(ShaperFault, ParsesNetemParameters) {
  auto d = parse_ok(R"({"kind":"delay","delay":"50ms","jitter":"10ms","correlation":25,"distribution":"normal"})",
                    "eth0");
  EXPECT_EQ(d.delay, 50'000'000);
  EXPECT_EQ(d.jitter, 10'000'000);
  EXPECT_EQ(d.delay_correlation, 25);
  EXPECT_EQ(d.distribution, Distribution::kNormal);
  EXPECT_EQ(d.interface, "eth0");
  auto r = parse_ok(R"({"kind":"reorder","percent":"25%","correlation":50,"delay":"10ms","gap":5})");
  EXPECT_EQ(r.percent, 25);
  EXPECT_EQ(r.gap, 5u);
  auto c = parse_ok(R"({"kind":"corrupt","percent":1,"recompute_checksum":false,"interface":"veth0",
                        "destinations":["198.18.0.2","10.0.0.0/8","fd00::/8"]})");
  EXPECT_FALSE(c.recompute_checksum);
  EXPECT_EQ(c.interface, "veth0");
  ASSERT_EQ(c.destinations.size(), 3u);
}

TEST(ShaperFault, ErrorsNameTheField) {
  EXPECT_NE(parse_error(R"({"kind":"delay"})").find("\"delay\""), std::string::npos);
  EXPECT_NE(parse_error(R"({"kind":"delay","delay":"fast"})").find("\"delay\""), std::string::npos);
  EXPECT_NE(parse_error(R"({"kind":"delay","delay":"5ms","jitter":"1ms","distribution":"gauss"})").find("gauss"),
            std::string::npos);
  EXPECT_NE(parse_error(R"({"kind":"delay","delay":"5ms","distribution":"normal"})").find("jitter"),
            std::string::npos);
  EXPECT_NE(parse_error(R"({"kind":"duplicate","percent":140})").find("outside 0..100"), std::string::npos);
  EXPECT_NE(parse_error(R"({"kind":"duplicate"})").find("\"percent\""), std::string::npos);
  EXPECT_NE(parse_error(R"({"kind":"reorder","percent":25,"delay":"0s"})").find("\"delay\""), std::string::npos);
  EXPECT_EQ(parse_ok(R"({"kind":"reorder","percent":25})").delay, 10'000'000);  // the netem mechanism's default
  EXPECT_NE(parse_error(R"({"kind":"corrupt","percent":5,"destinations":["nowhere"]})").find("nowhere"),
            std::string::npos);
  EXPECT_NE(parse_error(R"({"kind":"loss","percent":5})").find("does not serve"), std::string::npos);
}

TEST(ShaperFault, RoundTripsThroughTheHealRecord) {
  auto f = parse_ok(R"({"kind":"delay","delay":"1.5s","jitter":"20ms","distribution":"pareto",
                        "destinations":["198.18.0.0/24"],"interface":"br0"})");
  auto back = ShaperFault::from_json(f.to_json());
  ASSERT_TRUE(back);
  EXPECT_EQ(back->to_json(), f.to_json());
  EXPECT_EQ(back->describe(), f.describe());
  EXPECT_NE(f.describe().find("198.18.0.0/24"), std::string::npos);
  EXPECT_FALSE(ShaperFault::from_json(nlohmann::json{{"kind", "delay"}}));
}

TEST(ShaperFault, IngressRoundTripsAndOlderRecordsAreEgress) {
  auto f = parse_ok(R"({"kind":"delay","delay":"50ms","direction":"ingress","destinations":["198.18.0.2"]})", "eth0");
  EXPECT_TRUE(f.ingress);
  auto back = ShaperFault::from_json(f.to_json());
  ASSERT_TRUE(back);
  EXPECT_TRUE(back->ingress);
  EXPECT_NE(f.describe().find("incoming packets on eth0 from 198.18.0.2"), std::string::npos) << f.describe();
  EXPECT_FALSE(parse_ok(R"({"kind":"delay","delay":"50ms","direction":"egress"})").ingress);
  auto old = f.to_json();
  old.erase("direction");  // a record journaled before ingress existed
  auto egress = ShaperFault::from_json(old);
  ASSERT_TRUE(egress);
  EXPECT_FALSE(egress->ingress);
  auto sideways = nlohmann::json{{"kind", "delay"}, {"delay", "5ms"}, {"direction", "sideways"}};
  auto refused = ShaperFault::parse(FaultSpec{"delay", sideways, std::nullopt}, "");
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().message.find("\"direction\""), std::string::npos);
}

TEST(ShaperFault, DestinationPrefixesMatch) {
  auto f = parse_ok(R"({"kind":"duplicate","percent":5,"destinations":["198.18.0.2","10.1.0.0/17","fd00::/8"]})");
  std::uint8_t a[16] = {198, 18, 0, 2}, b[16] = {198, 18, 0, 3}, c[16] = {10, 1, 127, 9}, d[16] = {10, 1, 128, 0};
  std::uint8_t v6[16] = {0xfd, 0x12};
  EXPECT_TRUE(f.matches_destination(4, a));
  EXPECT_FALSE(f.matches_destination(4, b));
  EXPECT_TRUE(f.matches_destination(4, c));
  EXPECT_FALSE(f.matches_destination(4, d));
  EXPECT_TRUE(f.matches_destination(6, v6));
  EXPECT_FALSE(f.matches_destination(6, a));
  auto all = parse_ok(R"({"kind":"duplicate","percent":5})");
  EXPECT_TRUE(all.matches_destination(6, v6));
}

TEST(PacketPlan, ReorderSendsThePercentAtOnceAndDelaysTheRest) {
  Prng prng(3);
  ActiveFault reorder(parse_ok(R"({"kind":"reorder","percent":25,"delay":"10ms"})"), prng);
  int immediate = 0;
  for (int i = 0; i < 20'000; ++i) {
    PacketPlan plan;
    reorder.contribute(plan, false);
    if (plan.immediate) {
      ++immediate;
      EXPECT_EQ(plan.effective_delay(), 0);
    } else {
      EXPECT_EQ(plan.effective_delay(), 10'000'000);
    }
  }
  EXPECT_NEAR(immediate / 20'000.0, 0.25, 0.015);
}

TEST(PacketPlan, ReorderGapDelaysGapMinusOnePacketsFirst) {
  Prng prng(3);
  ActiveFault reorder(parse_ok(R"({"kind":"reorder","percent":100,"delay":"10ms","gap":4})"), prng);
  std::string pattern;
  for (int i = 0; i < 8; ++i) {
    PacketPlan plan;
    reorder.contribute(plan, false);
    pattern += plan.immediate ? 'I' : 'd';
  }
  EXPECT_EQ(pattern, "dddIdddI");
}

TEST(PacketPlan, DuplicatesAreNeverDuplicatedAgainButAreDelayed) {
  Prng prng(4);
  ActiveFault dup(parse_ok(R"({"kind":"duplicate","percent":100})"), prng);
  ActiveFault delay(parse_ok(R"({"kind":"delay","delay":"20ms"})"), prng);
  PacketPlan original, copy;
  dup.contribute(original, false);
  delay.contribute(original, false);
  dup.contribute(copy, true);
  delay.contribute(copy, true);
  EXPECT_TRUE(original.duplicate);
  EXPECT_FALSE(copy.duplicate);
  EXPECT_EQ(copy.effective_delay(), 20'000'000);
}

TEST(PacketPlan, DelaysOfSeveralFaultsAddUp) {
  Prng prng(4);
  ActiveFault a(parse_ok(R"({"kind":"delay","delay":"20ms"})"), prng);
  ActiveFault b(parse_ok(R"({"kind":"delay","delay":"5ms"})"), prng);
  PacketPlan plan;
  a.contribute(plan, false);
  b.contribute(plan, false);
  EXPECT_EQ(plan.effective_delay(), 25'000'000);
}

TEST(PacketPlan, CorruptHonoursThePercentAndTheChecksumChoice) {
  Prng prng(6);
  ActiveFault corrupt(parse_ok(R"({"kind":"corrupt","percent":10,"recompute_checksum":false})"), prng);
  int hits = 0;
  for (int i = 0; i < 20'000; ++i) {
    PacketPlan plan;
    corrupt.contribute(plan, false);
    if (plan.corrupt) {
      ++hits;
      EXPECT_FALSE(plan.recompute_checksum);
    }
  }
  EXPECT_NEAR(hits / 20'000.0, 0.10, 0.01);
}

}  // namespace
}  // namespace faultline::faults::shaper
