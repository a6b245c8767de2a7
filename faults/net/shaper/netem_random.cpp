#include "faults/net/shaper/netem_random.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include <fmt/format.h>

namespace faultline::faults::shaper {
namespace {

constexpr int kIprouteTableSize = 16384;  // iproute2's TABLESIZE; every 4th entry is kept

double normal_cdf(double x) { return 0.5 * std::erfc(-x / std::sqrt(2.0)); }

// The x with normal_cdf(x) == p, by bisection (exact enough for 1/8192 units).
double normal_quantile(double p) {
  double lo = -10.0, hi = 10.0;
  for (int i = 0; i < 80; ++i) {
    double mid = 0.5 * (lo + hi);
    (normal_cdf(mid) < p ? lo : hi) = mid;
  }
  return 0.5 * (lo + hi);
}

std::int16_t clamp16(double value) {
  value = std::rint(value);
  return static_cast<std::int16_t>(std::clamp(value, -32768.0, 32767.0));
}

// iproute2 normal.c: table[i] is the x whose CDF rounds to i/16384.
double normal_entry(std::size_t k) {
  return normal_quantile((4.0 * static_cast<double>(k) + 0.5) / kIprouteTableSize) * kDistScale;
}

// iproute2 pareto.c: a = 3, shifted by its mean 1.5, scaled by 4/3.
double pareto_entry(std::size_t k) {
  const double a = 3.0;
  double u = static_cast<double>(65536 - 16 * static_cast<int>(k)) / 65536.0;
  double value = (1.0 / std::pow(u, 1.0 / a) - 1.5) * (4.0 / 3.0) * kDistScale;
  return std::rint(std::min(value, 32767.0));
}

std::vector<std::int16_t> make_table(Distribution distribution) {
  std::vector<std::int16_t> table;
  if (distribution == Distribution::kUniform) return table;
  table.reserve(kDistSize);
  for (std::size_t k = 0; k < kDistSize; ++k) {
    switch (distribution) {
      case Distribution::kNormal: table.push_back(clamp16(normal_entry(k))); break;
      case Distribution::kPareto: table.push_back(clamp16(pareto_entry(k))); break;
      case Distribution::kParetoNormal:  // iproute2 paretonormal.c: 1/4 normal + 3/4 pareto
        table.push_back(clamp16(0.25 * normal_entry(k) + 0.75 * pareto_entry(k)));
        break;
      case Distribution::kUniform: break;
    }
  }
  return table;
}

}  // namespace

Result<Distribution> parse_distribution(std::string_view name) {
  if (name == "uniform") return Distribution::kUniform;
  if (name == "normal") return Distribution::kNormal;
  if (name == "pareto") return Distribution::kPareto;
  if (name == "paretonormal") return Distribution::kParetoNormal;
  return invalid_input(fmt::format(
      "unknown distribution '{}' (expected uniform, normal, pareto or paretonormal)", name));
}

std::string_view distribution_name(Distribution distribution) {
  switch (distribution) {
    case Distribution::kUniform: return "uniform";
    case Distribution::kNormal: return "normal";
    case Distribution::kPareto: return "pareto";
    case Distribution::kParetoNormal: return "paretonormal";
  }
  return "uniform";
}

const std::vector<std::int16_t>& distribution_table(Distribution distribution) {
  static const std::vector<std::int16_t> uniform;
  static const std::vector<std::int16_t> normal = make_table(Distribution::kNormal);
  static const std::vector<std::int16_t> pareto = make_table(Distribution::kPareto);
  static const std::vector<std::int16_t> paretonormal = make_table(Distribution::kParetoNormal);
  switch (distribution) {
    case Distribution::kNormal: return normal;
    case Distribution::kPareto: return pareto;
    case Distribution::kParetoNormal: return paretonormal;
    case Distribution::kUniform: break;
  }
  return uniform;
}

std::uint32_t percent_to_probability(double percent) {
  if (!(percent > 0)) return 0;
  if (percent >= 100) return std::numeric_limits<std::uint32_t>::max();
  return static_cast<std::uint32_t>(percent / 100.0 * 4294967295.0);
}

Prng::Prng() : engine_(std::random_device{}()) {}

CorrelatedRandom::CorrelatedRandom(double correlation_percent, Prng& prng)
    : prng_(&prng), rho_(percent_to_probability(correlation_percent)), last_(prng.next()) {}

std::uint32_t CorrelatedRandom::next() {
  std::uint64_t value = prng_->next();
  if (rho_ == 0) return static_cast<std::uint32_t>(value);
  std::uint64_t rho = static_cast<std::uint64_t>(rho_) + 1;
  std::uint64_t answer = (value * ((1ull << 32) - rho) + static_cast<std::uint64_t>(last_) * rho) >> 32;
  last_ = static_cast<std::uint32_t>(answer);
  return last_;
}

Nanos sample_delay(Nanos mu, Nanos sigma, Distribution distribution, CorrelatedRandom& random) {
  if (sigma <= 0) return std::max<Nanos>(mu, 0);
  std::uint32_t rnd = random.next();
  Nanos value;
  if (distribution == Distribution::kUniform) {
    // netem: ((rnd % (2 * sigma)) + mu) - sigma
    value = static_cast<Nanos>(rnd % static_cast<std::uint64_t>(2 * sigma)) + mu - sigma;
    // rnd is 32 bits: for 2*sigma beyond 4.29 s netem saturates too; scale instead.
    if (2 * sigma > static_cast<Nanos>(std::numeric_limits<std::uint32_t>::max()))
      value = mu - sigma + static_cast<Nanos>(static_cast<double>(rnd) / 4294967296.0 * 2.0 * static_cast<double>(sigma));
  } else {
    const auto& table = distribution_table(distribution);
    Nanos t = table[rnd % table.size()];
    Nanos x = (sigma % kDistScale) * t;
    x += x >= 0 ? kDistScale / 2 : -kDistScale / 2;
    value = x / kDistScale + (sigma / kDistScale) * t + mu;
  }
  return std::max<Nanos>(value, 0);
}

}  // namespace faultline::faults::shaper
