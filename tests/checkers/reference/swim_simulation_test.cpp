#include "checkers/reference/swim_simulation.h"
#include "common/units.h"

#include <cmath>
#include <cstdio>

#include <gtest/gtest.h>

namespace faultline::reference {
namespace {

#ifdef FAULTLINE_SANITIZED
constexpr std::uint64_t kSeeds = 3;
#else
constexpr std::uint64_t kSeeds = 12;
#endif
constexpr std::size_t kCrashesPerRun = 10;

// 200 nodes; crashes one per protocol period from 10s, on nodes spread over
// the cluster and different for each seed.
SwimSimulationConfig crash_run(std::uint64_t seed, double loss = 0.0) {
  SwimSimulationConfig c;
  c.nodes = 200;
  c.seed = seed;
  c.loss = loss;
  c.duration = 40 * kSecond;
  for (std::size_t k = 0; k < kCrashesPerRun; ++k) {
    c.crashes.push_back(SimCrash{(seed * 7919 + k * 19) % c.nodes, static_cast<Nanos>(10 + k) * kSecond});
  }
  return c;
}

TEST(SwimSimulation, EveryCrashedNodeIsDeclaredDeadByEveryLiveNodeAndDetectionMatchesThePaper) {
  double detection_sum = 0;
  std::size_t detections = 0;
  for (std::uint64_t seed = 1; seed <= kSeeds; ++seed) {
    auto r = run_swim_simulation(crash_run(seed));
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(r->live_nodes, 200 - kCrashesPerRun);
    for (const auto& c : r->crashes) {
      EXPECT_EQ(c.dead_by, c.live_observers) << "seed " << seed << ": " << c.node << " not dead everywhere";
      EXPECT_TRUE(c.all_dead.has_value()) << "seed " << seed << ": " << c.node;
      ASSERT_TRUE(c.first_detection.has_value()) << "seed " << seed << ": " << c.node;
      detection_sum += static_cast<double>(*c.first_detection) / kSecond;
      ++detections;
    }
    // Loss-free network: no live node is ever suspected, let alone declared dead.
    EXPECT_EQ(r->false_deaths, 0u) << "seed " << seed;
    EXPECT_EQ(r->falsely_dead_nodes, 0u) << "seed " << seed;
    EXPECT_EQ(r->dead_pairs_at_end, 0u) << "seed " << seed;
    EXPECT_EQ(r->false_suspicions, 0u) << "seed " << seed;
    EXPECT_EQ(r->failed_live_probes, 0u) << "seed " << seed;
  }
  // SWIM paper (Das et al. 2002, section 3.1): with random target selection
  // the expected time between a member's failure and its detection by some
  // live member is T' * 1/(1 - e^(-q_f)), which tends to T' * e/(e-1) when
  // almost all members are up. T' here is the PROTOCOL PERIOD (the probe
  // interval, 1s in the LAN preset); crashes happen at period boundaries and
  // a probe of a crashed node is detected (suspected) at the end of that
  // period, so the detection time is a whole number of periods.
  const double t_prime = 1.0;
  const double expected = t_prime * std::exp(1.0) / (std::exp(1.0) - 1.0);
  const double mean = detection_sum / static_cast<double>(detections);
  EXPECT_EQ(detections, kSeeds * kCrashesPerRun);
  std::printf("mean first detection %.3fs over %zu crashes; paper's T' * e/(e-1) = %.3fs\n", mean, detections,
              expected);
  EXPECT_NEAR(mean, expected, 0.2 * expected) << "mean first detection " << mean << "s over " << detections;
}

TEST(SwimSimulation, NoLiveNodeIsDeclaredDeadOnALossFreeNetwork) {
  for (std::uint64_t seed = 1; seed <= 3; ++seed) {
    SwimSimulationConfig c;
    c.nodes = 200;
    c.seed = seed;
    c.duration = 30 * kSecond;
    auto r = run_swim_simulation(c);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->false_deaths, 0u);
    EXPECT_EQ(r->false_suspicions, 0u);
    EXPECT_EQ(r->failed_live_probes, 0u);
    EXPECT_EQ(r->live_probes, 200u * 30u) << "one probe per node per period (the 31st ends after the run)";
    EXPECT_EQ(r->messages_dropped, 0u);
  }
}

TEST(SwimSimulation, PacketLossCausesFalseSuspicionsThatAreRefuted) {
  auto r = run_swim_simulation(crash_run(1, 0.05));
  ASSERT_TRUE(r.ok());
  EXPECT_GT(r->messages_dropped, 0u);
  EXPECT_GT(r->failed_live_probes, 0u) << "5% loss makes some probes of live nodes fail";
  EXPECT_GT(r->refutations, 0u);
  // With memberlist's suspicion timeouts, refutations win at 5% loss.
  EXPECT_EQ(r->false_deaths, 0u);
  for (const auto& c : r->crashes) EXPECT_EQ(c.dead_by, c.live_observers) << c.node;
}

TEST(SwimSimulation, IsDeterministicAndTheWireFormatChangesNothing) {
  SwimSimulationConfig c;
  c.nodes = 30;
  c.seed = 9;
  c.loss = 0.1;
  c.duration = 30 * kSecond;
  c.crashes = {{3, 5 * kSecond}, {17, 6 * kSecond}};
  auto a = run_swim_simulation(c);
  auto b = run_swim_simulation(c);
  c.encode_messages = true;
  auto w = run_swim_simulation(c);
  ASSERT_TRUE(a.ok() && b.ok() && w.ok());
  for (const auto* other : {&b.value(), &w.value()}) {
    EXPECT_EQ(a->messages_sent, other->messages_sent);
    EXPECT_EQ(a->false_suspicions, other->false_suspicions);
    EXPECT_EQ(a->failed_live_probes, other->failed_live_probes);
    ASSERT_EQ(a->crashes.size(), other->crashes.size());
    for (std::size_t i = 0; i < a->crashes.size(); ++i) {
      EXPECT_EQ(a->crashes[i].first_detection, other->crashes[i].first_detection);
      EXPECT_EQ(a->crashes[i].all_dead, other->crashes[i].all_dead);
    }
  }
  c.encode_messages = false;
  c.seed = 10;
  auto d = run_swim_simulation(c);
  ASSERT_TRUE(d.ok());
  EXPECT_NE(a->messages_sent, d->messages_sent) << "another seed, another run";
}

TEST(SwimSimulation, BadConfigurationsAreRejected) {
  SwimSimulationConfig c;
  c.nodes = 10;
  c.crashes = {{10, kSecond}};
  EXPECT_FALSE(run_swim_simulation(c).ok());
  c.crashes = {{1, kSecond}, {1, 2 * kSecond}};
  EXPECT_FALSE(run_swim_simulation(c).ok());
  c.crashes = {};
  c.loss = 1.5;
  EXPECT_FALSE(run_swim_simulation(c).ok());
  c.loss = 0;
  c.swim.probe_timeout = 2 * kSecond;
  auto r = run_swim_simulation(c);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("probe_timeout"), std::string::npos);
}

}  // namespace
}  // namespace faultline::reference
