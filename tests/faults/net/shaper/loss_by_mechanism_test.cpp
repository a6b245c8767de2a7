// loss 30% measured over 3000 packets, through every mechanism that serves
// "loss": netem (explicit "mechanism":"netem") and its fallback, the iptables
// statistic match ("mechanism":"iptables-statistic"), chosen by the registry
// as it honours an explicit "mechanism" field. The fault is only towards one
// destination (netem: prio/htb root plus a u32 filter; statistic: a -d rule),
// and a third node measures that other traffic is untouched. Where the kernel
// has no sch_netem the netem instance is skipped with the probe's reason.
#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdio>

#include <nlohmann/json.hpp>

#include "tests/faults/net/shaper/mechanism_runner.h"
#include "tests/faults/net/shaper/udp_probe.h"
#include "tests/support/netns.h"
#include "tests/support/traffic.h"

namespace faultline::testing {
namespace {

namespace probe = shaper_probe;

class LossByMechanism : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    if (GetParam() == "netem") {
      if (auto why = probe::netem_unavailable("loss"); !why.empty()) GTEST_SKIP() << why;
    }
    auto created = NetnsCluster::create(3);
    ASSERT_TRUE(created.ok()) << created.error().message;
    cluster_ = std::move(*created);
    // Resolve ARP first: a burst sent while the neighbour entry is unresolved
    // overflows its small pending queue, and that loss is not the fault's.
    for (int to : {1, 2}) {
      ASSERT_TRUE(path_works(cluster_->node(0), cluster_->node(to)));
      ASSERT_TRUE(path_works(cluster_->node(to), cluster_->node(0)));
    }
  }

  // A fresh bridge may take a moment to forward: retry for up to 3 s.
  static bool path_works(const NetnsNode& from, const NetnsNode& to) {
    for (int attempt = 0; attempt < 30; ++attempt) {
      if (udp_delivered(from.ns, to.ns, to.address, 3) > 0) return true;
      usleep(100'000);
    }
    return false;
  }

  std::unique_ptr<NetnsCluster> cluster_;
};

TEST_P(LossByMechanism, ThirtyPercentTowardsOneDestinationMeasuredOverThreeThousandPackets) {
  const auto& sender = cluster_->node(0);
  const auto& target = cluster_->node(1);
  const auto& bystander = cluster_->node(2);
  auto lossy = probe::SequenceSink::start(target.ns, target.address);
  auto other = probe::SequenceSink::start(bystander.ns, bystander.address);
  ASSERT_TRUE(lossy.ok() && other.ok());
  const auto lossy_port = (*lossy)->port(), other_port = (*other)->port();
  constexpr int kPackets = 3000;

  const std::string spec = R"({"kind":"loss","percent":30,"destinations":[")" + target.address + R"("]})";
  auto run = probe::run_fault_in(sender.ns, spec, GetParam(), [&] {
    int to_target = probe::send_sequence(target.address, lossy_port, kPackets, 64, 100);
    int to_other = probe::send_sequence(bystander.address, other_port, 300, 64, 100);
    return nlohmann::json{{"target", to_target}, {"other", to_other}};
  });
  ASSERT_FALSE(run.contains("error")) << run.dump();
  EXPECT_EQ(run["record"]["mechanism"], GetParam());
  // No check of send()'s count: a statistic DROP in OUTPUT fails the send
  // with EPERM, netem's drop does not; the receiver's count is what matters.
  EXPECT_GE(run["result"]["target"].get<int>(), kPackets / 2);

  auto stats = probe::analyze((*lossy)->collect());
  double loss = 1.0 - static_cast<double>(stats.unique) / kPackets;
  std::printf("[ measured ] %s: loss %.1f%% (%d of %d arrived)\n", GetParam().c_str(), loss * 100, stats.unique,
              kPackets);
  EXPECT_GE(loss, 0.25) << GetParam() << ": " << stats.unique << " of " << kPackets << " arrived";
  EXPECT_LE(loss, 0.35) << GetParam() << ": " << stats.unique << " of " << kPackets << " arrived";
  EXPECT_EQ(stats.duplicates, 0);
  EXPECT_EQ(stats.corrupted, 0);
  EXPECT_EQ(probe::analyze((*other)->collect()).unique, 300) << "traffic to other destinations is not dropped";

  EXPECT_EQ(probe::leftovers_in(sender.ns), "") << "heal must leave nothing of ours";
  EXPECT_EQ(udp_delivered(sender.ns, target.ns, target.address, 200), 200) << "healed";
}

INSTANTIATE_TEST_SUITE_P(ByMechanism, LossByMechanism,
                         ::testing::Values(std::string("netem"), std::string("iptables-statistic")),
                         probe::mechanism_param_name);

}  // namespace
}  // namespace faultline::testing
