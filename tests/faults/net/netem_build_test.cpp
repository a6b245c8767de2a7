// The libnl netem path, exercised on every machine: the qdisc object and the
// netlink request apply() sends are built and read back (no kernel needed).
#include <gtest/gtest.h>

#include <linux/pkt_sched.h>
#include <linux/rtnetlink.h>
#include <netlink/attr.h>
#include <netlink/msg.h>
#include <netlink/route/qdisc.h>
#include <netlink/route/qdisc/netem.h>
#include <netlink/route/qdisc/tbf.h>
#include <netlink/route/tc.h>

#include "faults/net/net_params.h"
#include "faults/net/netem.h"
#include "faults/net/tbf.h"
#include "faults/net/tc_qdisc.h"

using namespace faultline;
using namespace faultline::faults::net;

namespace {

// Built as is, not through FaultSpec::parse: these tests check the
// mechanisms' own parameter checks, behind the schema's (tests/spec/).
faults::FaultSpec spec(const std::string& json) {
  auto j = nlohmann::json::parse(json);
  return faults::FaultSpec{j.value("kind", std::string()), j, std::nullopt};
}

struct QdiscGuard {
  rtnl_qdisc* q;
  ~QdiscGuard() { rtnl_qdisc_put(q); }
};

}  // namespace

TEST(NetemBuild, DelayJitterCorrelationDistributionReadBackFromTheQdiscAndTheMessage) {
  auto params = NetemParams::from_spec(spec(R"({"kind":"delay","delay":"50ms","jitter":"10ms","correlation":25})"));
  ASSERT_TRUE(params.ok()) << params.error().message;
  bool have_table = find_distribution_table("normal").ok();
  if (have_table) params->distribution = "normal";
  auto built = build_netem_qdisc(*params, 7, TC_H_ROOT, TC_HANDLE(kOurMajor, 0));
  ASSERT_TRUE(built.ok()) << built.error().message;
  QdiscGuard guard{*built};
  rtnl_qdisc* q = *built;
  EXPECT_STREQ(rtnl_tc_get_kind(TC_CAST(q)), "netem");
  EXPECT_EQ(rtnl_tc_get_handle(TC_CAST(q)), TC_HANDLE(0xfa17, 0));
  EXPECT_EQ(rtnl_tc_get_parent(TC_CAST(q)), TC_H_ROOT);
  EXPECT_EQ(rtnl_tc_get_ifindex(TC_CAST(q)), 7);
  EXPECT_NEAR(rtnl_netem_get_delay(q), 50000, 2);
  EXPECT_NEAR(rtnl_netem_get_jitter(q), 10000, 2);
  EXPECT_EQ(static_cast<std::uint32_t>(rtnl_netem_get_delay_correlation(q)), netem_probability(25));
  if (have_table) {
    EXPECT_GT(rtnl_netem_get_delay_distribution_size(q), 1000);
  }

  // The request apply() sends: RTM_NEWQDISC, kind netem, tc_netem_qopt with our values.
  nl_msg* msg = nullptr;
  ASSERT_EQ(rtnl_qdisc_build_add_request(q, NLM_F_CREATE | NLM_F_EXCL, &msg), 0);
  nlmsghdr* hdr = nlmsg_hdr(msg);
  EXPECT_EQ(hdr->nlmsg_type, RTM_NEWQDISC);
  auto* tcm = static_cast<tcmsg*>(nlmsg_data(hdr));
  EXPECT_EQ(tcm->tcm_handle, TC_HANDLE(0xfa17, 0));
  EXPECT_EQ(tcm->tcm_parent, TC_H_ROOT);
  nlattr* kind = nlmsg_find_attr(hdr, sizeof(tcmsg), TCA_KIND);
  ASSERT_NE(kind, nullptr);
  EXPECT_STREQ(static_cast<const char*>(nla_data(kind)), "netem");
  nlattr* options = nlmsg_find_attr(hdr, sizeof(tcmsg), TCA_OPTIONS);
  ASSERT_NE(options, nullptr);
  ASSERT_GE(nla_len(options), static_cast<int>(sizeof(tc_netem_qopt)));
  auto* qopt = static_cast<tc_netem_qopt*>(nla_data(options));
  EXPECT_GT(qopt->latency, 0u);
  EXPECT_GT(qopt->jitter, 0u);
  EXPECT_EQ(qopt->limit, 1000u);
  EXPECT_EQ(qopt->loss, 0u);
  nlmsg_free(msg);
}

TEST(NetemBuild, LossDuplicateCorruptReorderProbabilities) {
  struct Case {
    const char* json;
    int (*getter)(rtnl_qdisc*);
    double percent;
  } cases[] = {
      {R"({"kind":"loss","percent":30,"correlation":25})", rtnl_netem_get_loss, 30},
      {R"({"kind":"duplicate","percent":5})", rtnl_netem_get_duplicate, 5},
      {R"({"kind":"corrupt","percent":"1.5%"})", rtnl_netem_get_corruption_probability, 1.5},
      {R"({"kind":"reorder","percent":25,"correlation":50,"delay":"20ms"})", rtnl_netem_get_reorder_probability, 25},
  };
  for (const auto& c : cases) {
    auto params = NetemParams::from_spec(spec(c.json));
    ASSERT_TRUE(params.ok()) << c.json << ": " << params.error().message;
    auto roundtrip = NetemParams::from_json(params->to_json());  // as the journal stores it
    ASSERT_TRUE(roundtrip.ok());
    auto built = build_netem_qdisc(*roundtrip, 3, TC_H_ROOT, TC_HANDLE(kOurMajor, 0));
    ASSERT_TRUE(built.ok()) << built.error().message;
    QdiscGuard guard{*built};
    EXPECT_EQ(static_cast<std::uint32_t>(c.getter(*built)), netem_probability(c.percent)) << c.json;
    nl_msg* msg = nullptr;
    EXPECT_EQ(rtnl_qdisc_build_add_request(*built, NLM_F_CREATE, &msg), 0) << c.json;
    if (msg) nlmsg_free(msg);
  }
  auto reorder = NetemParams::from_spec(spec(R"({"kind":"reorder","percent":25})"));
  ASSERT_TRUE(reorder.ok());
  EXPECT_EQ(reorder->delay_us, 10000);  // netem needs a delay to reorder
  EXPECT_EQ(netem_probability(100), UINT32_MAX);
  EXPECT_EQ(netem_probability(0), 0u);
  EXPECT_NEAR(netem_probability(30) / double(UINT32_MAX), 0.30, 1e-9);
}

TEST(NetemBuild, BadParametersNameTheField) {
  auto missing = NetemParams::from_spec(spec(R"({"kind":"delay"})"));
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().message.find("\"delay\""), std::string::npos);
  auto pct = NetemParams::from_spec(spec(R"({"kind":"loss","percent":130})"));
  ASSERT_FALSE(pct.ok());
  EXPECT_NE(pct.error().message.find("percent"), std::string::npos);
  auto dist = NetemParams::from_spec(spec(R"({"kind":"delay","delay":"5ms","jitter":"1ms","distribution":"gauss"})"));
  ASSERT_FALSE(dist.ok());
  EXPECT_NE(dist.error().message.find("gauss"), std::string::npos);
  auto nojitter = NetemParams::from_spec(spec(R"({"kind":"delay","delay":"5ms","distribution":"normal"})"));
  EXPECT_FALSE(nojitter.ok());
}

TEST(TbfBuild, RateBurstAndLimitReadBack) {
  auto params = tbf_params_from_spec(spec(R"({"kind":"bandwidth","rate":"1mbit"})"));
  ASSERT_TRUE(params.ok()) << params.error().message;
  EXPECT_EQ(params->rate_bps, 1000000u);
  EXPECT_EQ(params->burst_bytes, 3028u);
  rtnl_qdisc* q = rtnl_qdisc_alloc();
  QdiscGuard guard{q};
  ASSERT_EQ(rtnl_tc_set_kind(TC_CAST(q), "tbf"), 0);
  ASSERT_TRUE(configure_tbf(q, *params).ok());
  EXPECT_EQ(rtnl_qdisc_tbf_get_rate(q), 125000);
  EXPECT_EQ(rtnl_qdisc_tbf_get_rate_bucket(q), 3028);
  EXPECT_NEAR(rtnl_qdisc_tbf_get_limit(q), 125000 * 0.05 + 3028, 10);
  EXPECT_FALSE(tbf_params_from_spec(spec(R"({"kind":"bandwidth","rate":"1 furlong"})")).ok());
  EXPECT_FALSE(tbf_params_from_spec(spec(R"({"kind":"bandwidth"})")).ok());
}

TEST(NetParams, RatesPrefixesPercents) {
  EXPECT_EQ(*parse_rate("1mbit"), 1000000u);
  EXPECT_EQ(*parse_rate("512kbit"), 512000u);
  EXPECT_EQ(*parse_rate("1mbps"), 8000000u);
  EXPECT_FALSE(parse_rate("fast").ok());
  auto p = parse_ipv4_prefix("198.18.0.7/28");
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->text(), "198.18.0.0/28");
  EXPECT_FALSE(parse_ipv4_prefix("198.18.0.7/33").ok());
  EXPECT_FALSE(parse_ipv4_prefix("host.example").ok());
}
