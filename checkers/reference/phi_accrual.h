// Phi accrual failure detector (Hayashibara et al. 2004) with Akka's formula
// and defaults (akka.remote.PhiAccrualFailureDetector).
//
// Contract (times are the caller's int64 ns; no clock is read):
//  - heartbeat(node, now): the first heartbeat of a node only records its
//    time; later ones add the inter-arrival interval to a window of the last
//    `max_sample_size` intervals, but only while the node is available at
//    `now` (Akka: the first heartbeat after a failure is not a sample). A new
//    node's window is seeded with the first-heartbeat estimate as Akka does:
//    two samples, estimate -/+ estimate/4.
//  - phi(node, now), with Δ = now - last heartbeat in ms,
//        mean = window mean + acceptable_heartbeat_pause (ms)
//        sd   = max(window population std deviation, min_std_deviation) (ms)
//        y = (Δ - mean) / sd,  e = exp(-y * (1.5976 + 0.070566 * y^2))
//        phi = -log10(e / (1 + e))      if Δ > mean
//            = -log10(1 - 1 / (1 + e))  otherwise
//    and 0 for a node with no heartbeat yet (unknown nodes are available).
//  - available(node, now) is phi < threshold.
//  - exponential (Cassandra's FailureDetector/ArrivalWindow): inter-arrival
//    times are modelled as exponential instead: phi = Δ / mean / ln(10),
//    the window is seeded with one first_heartbeat_estimate, and every
//    interval up to max_interval (0 = no cap) is a sample, available or not;
//    acceptable_heartbeat_pause and min_std_deviation are unused.
//  - Status mapping for docs/events.md events: phi < threshold -> alive,
//    phi >= threshold -> suspect (Akka's "unreachable", which is reversible),
//    and, only if dead_threshold > 0, phi >= dead_threshold -> dead. evaluate()
//    returns the changes since the last call; heartbeat() returns the change
//    back to alive when a heartbeat makes a node available again.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "checkers/reference/detector_status.h"
#include "common/units.h"

namespace faultline::reference {

struct PhiAccrualConfig {
  double threshold = 8.0;
  std::size_t max_sample_size = 1000;
  Nanos min_std_deviation = 100'000'000;            // 100ms
  Nanos acceptable_heartbeat_pause = 3'000'000'000;  // 3s
  Nanos first_heartbeat_estimate = 1'000'000'000;    // 1s (Akka's heartbeat-interval)
  double dead_threshold = 0.0;                       // 0: never report dead
  bool exponential = false;                          // Cassandra's model
  Nanos max_interval = 0;                            // exponential: samples above it are dropped
};

// Akka's phi for a time since last heartbeat, mean and std deviation (all ms).
double phi_of(double time_diff_ms, double mean_ms, double std_deviation_ms);

// Sliding window of inter-arrival intervals (ms) with running sums.
class HeartbeatHistory {
 public:
  explicit HeartbeatHistory(std::size_t max_sample_size) : max_(max_sample_size) {}
  void add(double interval_ms);
  double mean() const { return intervals_.empty() ? 0.0 : sum_ / static_cast<double>(intervals_.size()); }
  double variance() const;
  double std_deviation() const;
  std::size_t size() const { return intervals_.size(); }

 private:
  std::size_t max_;
  std::deque<double> intervals_;
  double sum_ = 0.0;
  double squared_sum_ = 0.0;
};

class PhiAccrualDetector {
 public:
  PhiAccrualDetector(std::string observer, PhiAccrualConfig config = {});

  void set_listener(ChangeListener listener) { listener_ = std::move(listener); }

  std::vector<StatusChange> heartbeat(const std::string& node, Nanos now);
  double phi(const std::string& node, Nanos now) const;
  bool available(const std::string& node, Nanos now) const { return phi(node, now) < config_.threshold; }
  std::vector<StatusChange> evaluate(Nanos now);
  std::optional<Status> status(const std::string& node) const;
  const HeartbeatHistory* history(const std::string& node) const;

 private:
  struct State {
    explicit State(std::size_t max) : history(max) {}
    HeartbeatHistory history;
    std::optional<Nanos> last;
    Status status = Status::kAlive;
  };
  Status judge(const State& state, Nanos now) const;
  double phi(const State& state, Nanos now) const;
  std::vector<StatusChange> notify(std::vector<StatusChange> changes);

  std::string observer_;
  PhiAccrualConfig config_;
  std::map<std::string, State> nodes_;
  ChangeListener listener_;
};

}  // namespace faultline::reference
