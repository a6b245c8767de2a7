// The `availability` checker's configuration (section `availability`).
//
// Contract: parse_availability_config() reads
//   availability:
//     window: 1s            # sliding window width
//     step: 100ms           # how far each window slides (default window / 10)
//     min_ops: 10           # a window with fewer ops is "thin": not judged
//     steady: {success_rate: 0.99, p99: 50ms}   # also p50, p90, p95, p999
//     during: {success_rate: 0.5}               # bound while a fault is active
//     during: {partition: {success_rate: 0.6}, kill: {...}, success_rate: 0.5}
//     recovery_time: 5s                         # or {partition: 5s, kill: 15s, default: 5s}
//     fail_means: unavailable   # or `answered`: a `fail` is the service's
//                               # answer (a cas whose compare did not match)
// Every field is optional. `during` and `recovery_time` take a bound for all
// faults and/or one per fault kind (the fault kinds of docs/faults.md); a kind
// without its own entry uses the general one. Unknown fields and kinds are
// refused as an kInvalidInput Error "config availability.FIELD: unknown field
// \"x\"; did you mean \"y\"?". A steady bound that is not given is derived
// from the run's baseline (see availability_checker.h): `steady_derived`
// names which. `during` has no bound unless given (its figures are reported).
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/result.h"
#include "common/units.h"

namespace faultline::checkers {

// One latency bound: the nearest-rank quantile q (0.99 for "p99") of the
// latencies of a window's ok ops must be at most `limit`.
struct LatencyBound {
  std::string name;  // "p99"
  double q = 0.99;
  Nanos limit = 0;
};

struct AvailabilityBound {
  std::optional<double> success_rate;  // ok / all judged ops, at least this
  std::vector<LatencyBound> latency;   // in ascending quantile order
  bool empty() const { return !success_rate && latency.empty(); }
  nlohmann::json to_json() const;
};

struct AvailabilityConfig {
  Nanos window = 1'000'000'000;
  Nanos step = 100'000'000;
  std::int64_t min_ops = 10;
  AvailabilityBound steady;
  AvailabilityBound during;                            // for kinds without their own entry
  std::map<std::string, AvailabilityBound> during_by_kind;
  Nanos recovery_time = 5'000'000'000;
  std::map<std::string, Nanos> recovery_by_kind;
  bool fail_is_answer = false;  // fail_means: answered — a `fail` counts as served

  const AvailabilityBound& during_for(const std::string& kind) const;
  Nanos recovery_for(const std::string& kind) const;
};

// The latency quantile names accepted in a bound: p50, p90, p95, p99, p999.
const std::vector<std::pair<std::string, double>>& latency_quantiles();
// The fault kinds (the keys `during` and `recovery_time` accept).
const std::vector<std::string>& availability_fault_kinds();

Result<AvailabilityConfig> parse_availability_config(const nlohmann::json& section);

}  // namespace faultline::checkers
