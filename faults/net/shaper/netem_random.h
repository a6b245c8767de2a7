// Netem's randomness, reproduced in user space for the NFQUEUE shaper.
//
// Contract: the shaper must give the same delays, duplicate/corrupt/reorder
// rates and correlations as sch_netem so a measurement across the network does
// not depend on which mechanism served. This file copies netem's semantics:
//  - probabilities are u32 fractions of 2^32 (percent 100 -> always);
//  - CorrelatedRandom is netem's get_crandom(): next = (1-rho)*fresh + rho*last;
//  - sample_delay() is netem's tabledist(): uniform in [mu-sigma, mu+sigma)
//    without a table, else mu + sigma * table[rnd % 4096] / 8192;
//  - the tables are those iproute2 installs (normal, pareto, paretonormal
//    .dist), generated here with iproute2's formulas (equal to within 1 unit).
// Negative samples are clamped to 0 (a packet cannot leave before it came).
// Not thread-safe: each shaper thread owns its generators.
#pragma once

#include <cstdint>
#include <random>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "common/units.h"

namespace faultline::faults::shaper {

enum class Distribution { kUniform, kNormal, kPareto, kParetoNormal };

// "uniform" (netem's default, no table), "normal", "pareto", "paretonormal".
Result<Distribution> parse_distribution(std::string_view name);
std::string_view distribution_name(Distribution distribution);

inline constexpr int kDistScale = 8192;        // NETEM_DIST_SCALE
inline constexpr std::size_t kDistSize = 4096;  // entries in iproute2's tables

// The inverse-CDF table netem would load for `distribution` (empty for uniform).
const std::vector<std::int16_t>& distribution_table(Distribution distribution);

// Percent in [0, 100] as netem's u32 probability (100 -> UINT32_MAX).
std::uint32_t percent_to_probability(double percent);

// The uniform 32-bit source (netem uses prandom/get_random_u32).
class Prng {
 public:
  explicit Prng(std::uint64_t seed) : engine_(seed) {}
  Prng();  // seeded from std::random_device
  std::uint32_t next() { return static_cast<std::uint32_t>(engine_()); }

 private:
  std::mt19937 engine_;
};

// netem's crndstate + get_crandom(): correlation in percent [0, 100].
class CorrelatedRandom {
 public:
  CorrelatedRandom(double correlation_percent, Prng& prng);
  std::uint32_t next();

 private:
  Prng* prng_;
  std::uint32_t rho_;
  std::uint32_t last_;
};

// netem's "q->X && q->X >= get_crandom(...)" test.
inline bool chance(std::uint32_t probability, CorrelatedRandom& random) {
  return probability != 0 && probability >= random.next();
}

// netem's tabledist(mu, sigma, ...), clamped at 0.
Nanos sample_delay(Nanos mu, Nanos sigma, Distribution distribution, CorrelatedRandom& random);

}  // namespace faultline::faults::shaper
