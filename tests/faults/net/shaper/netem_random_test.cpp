#include "faults/net/shaper/netem_random.h"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <numeric>
#include <sstream>

namespace faultline::faults::shaper {
namespace {

std::vector<int> load_iproute2_table(const std::string& name) {
  for (const char* dir : {"/usr/lib/x86_64-linux-gnu/tc", "/usr/lib/aarch64-linux-gnu/tc", "/usr/lib/tc",
                          "/usr/share/tc", "/usr/lib64/tc"}) {
    std::ifstream in(std::string(dir) + "/" + name + ".dist");
    if (!in) continue;
    std::vector<int> values;
    std::string line;
    while (std::getline(in, line)) {
      if (line.empty() || line[0] == '#') continue;
      std::istringstream words(line);
      int v;
      while (words >> v) values.push_back(v);
    }
    return values;
  }
  return {};
}

struct Moments {
  double mean = 0, sd = 0;
};

Moments moments(const std::vector<double>& xs) {
  Moments m;
  m.mean = std::accumulate(xs.begin(), xs.end(), 0.0) / static_cast<double>(xs.size());
  double var = 0;
  for (double x : xs) var += (x - m.mean) * (x - m.mean);
  m.sd = std::sqrt(var / static_cast<double>(xs.size()));
  return m;
}

TEST(NetemRandom, TablesMatchTheOnesIproute2Installs) {
  int compared = 0;
  for (auto d : {Distribution::kNormal, Distribution::kPareto, Distribution::kParetoNormal}) {
    const auto& ours = distribution_table(d);
    ASSERT_EQ(ours.size(), kDistSize);
    EXPECT_TRUE(std::is_sorted(ours.begin(), ours.end())) << distribution_name(d);
    auto theirs = load_iproute2_table(std::string(distribution_name(d)));
    if (theirs.empty()) continue;
    ASSERT_EQ(theirs.size(), kDistSize);
    for (std::size_t i = 0; i < kDistSize; ++i)
      ASSERT_LE(std::abs(ours[i] - theirs[i]), 1) << distribution_name(d) << " entry " << i;
    ++compared;
  }
  if (compared == 0) GTEST_SKIP() << "iproute2's .dist tables are not installed; compared shapes only";
}

TEST(NetemRandom, NormalTableIsAStandardNormalScaledBy8192) {
  std::vector<double> xs;
  for (auto v : distribution_table(Distribution::kNormal)) xs.push_back(v / double(kDistScale));
  auto m = moments(xs);
  EXPECT_NEAR(m.mean, 0.0, 0.01);
  EXPECT_NEAR(m.sd, 1.0, 0.02);
}

TEST(NetemRandom, UniformJitterStaysInNetemsRangeWithMeanAtTheDelay) {
  Prng prng(7);
  CorrelatedRandom random(0, prng);
  const Nanos mu = 50'000'000, sigma = 10'000'000;
  std::vector<double> xs;
  for (int i = 0; i < 100'000; ++i) {
    Nanos d = sample_delay(mu, sigma, Distribution::kUniform, random);
    ASSERT_GE(d, mu - sigma);
    ASSERT_LT(d, mu + sigma);
    xs.push_back(static_cast<double>(d));
  }
  auto m = moments(xs);
  EXPECT_NEAR(m.mean, mu, 0.2e6);
  EXPECT_NEAR(m.sd, sigma / std::sqrt(3.0), 0.2e6);  // uniform on [mu - s, mu + s)
}

TEST(NetemRandom, NormalJitterHasTheRequestedSpread) {
  Prng prng(8);
  CorrelatedRandom random(0, prng);
  std::vector<double> xs;
  for (int i = 0; i < 100'000; ++i)
    xs.push_back(static_cast<double>(sample_delay(50'000'000, 10'000'000, Distribution::kNormal, random)));
  auto m = moments(xs);
  EXPECT_NEAR(m.mean, 50e6, 0.2e6);
  EXPECT_NEAR(m.sd, 10e6, 0.3e6);
}

TEST(NetemRandom, ParetoIsSkewedToTheRight) {
  Prng prng(9);
  CorrelatedRandom random(0, prng);
  std::vector<Nanos> xs;
  for (int i = 0; i < 50'000; ++i) xs.push_back(sample_delay(50'000'000, 10'000'000, Distribution::kPareto, random));
  std::sort(xs.begin(), xs.end());
  Nanos median = xs[xs.size() / 2];
  EXPECT_LT(median, 50'000'000);                                         // most packets early...
  EXPECT_GT(xs[xs.size() * 999 / 1000] - 50'000'000, 50'000'000 - xs[0]);  // ...a long late tail
}

TEST(NetemRandom, SampleIsNetemsTabledistArithmetic) {
  // Same seed, same stream: the first sample must be mu + sigma * t / 8192, rounded as netem does.
  Prng a(123), b(123);
  CorrelatedRandom random(0, a);
  b.next();  // CorrelatedRandom seeds its "last" from the stream
  const Nanos mu = 50'000'000, sigma = 10'000'123;
  for (int i = 0; i < 100; ++i) {
    Nanos got = sample_delay(mu, sigma, Distribution::kNormal, random);
    std::int64_t t = distribution_table(Distribution::kNormal)[b.next() % kDistSize];
    double expected = static_cast<double>(mu) + static_cast<double>(sigma) * static_cast<double>(t) / kDistScale;
    EXPECT_NEAR(static_cast<double>(got), expected, 1.0);
  }
}

TEST(NetemRandom, NoJitterMeansExactlyTheDelay) {
  Prng prng(1);
  CorrelatedRandom random(0, prng);
  EXPECT_EQ(sample_delay(10'000'000, 0, Distribution::kNormal, random), 10'000'000);
  EXPECT_EQ(sample_delay(-5, 0, Distribution::kUniform, random), 0);
}

double lag1_correlation(double correlation_percent) {
  Prng prng(11);
  CorrelatedRandom random(correlation_percent, prng);
  std::vector<double> xs;
  for (int i = 0; i < 50'000; ++i) xs.push_back(random.next());
  auto m = moments(xs);
  double cov = 0;
  for (std::size_t i = 1; i < xs.size(); ++i) cov += (xs[i] - m.mean) * (xs[i - 1] - m.mean);
  return cov / static_cast<double>(xs.size() - 1) / (m.sd * m.sd);
}

TEST(NetemRandom, CorrelationMakesSuccessiveDrawsAlike) {
  EXPECT_NEAR(lag1_correlation(0), 0.0, 0.03);
  EXPECT_NEAR(lag1_correlation(75), 0.75, 0.05);  // next = 0.25 fresh + 0.75 last
}

TEST(NetemRandom, ChanceHonoursThePercent) {
  EXPECT_EQ(percent_to_probability(0), 0u);
  EXPECT_EQ(percent_to_probability(100), 0xffffffffu);
  Prng prng(5);
  CorrelatedRandom random(0, prng);
  int hits = 0;
  const auto p = percent_to_probability(30);
  for (int i = 0; i < 100'000; ++i) hits += chance(p, random);
  EXPECT_NEAR(hits / 100'000.0, 0.30, 0.01);
  int never = 0;
  for (int i = 0; i < 1000; ++i) never += chance(0, random);
  EXPECT_EQ(never, 0);
}

TEST(NetemRandom, DistributionNames) {
  EXPECT_EQ(*parse_distribution("paretonormal"), Distribution::kParetoNormal);
  auto bad = parse_distribution("gauss");
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("gauss"), std::string::npos);
}

}  // namespace
}  // namespace faultline::faults::shaper
