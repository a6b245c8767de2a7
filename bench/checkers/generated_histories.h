// Seeded histories for the checker benchmarks: breaker events driven by the
// reference breaker (bursts of failures trip it), retry attempts from the
// reference retry policy, and detector declarations around kill and loss
// faults. Each generator stops once the history has `target` events.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "checkers/history/event.h"
#include "checkers/reference/circuit_breaker.h"
#include "checkers/reference/retry_policy.h"

namespace faultline::bench {

// Appends an event at time t (index = its position).
void push(history::History& h, Nanos t, history::EventBody body);

// With the given reference configuration, or without one: threshold 5,
// recovery 50ms / 5 attempts with decorrelated jitter.
history::History breaker_history(std::size_t target, std::vector<std::string> nodes);
history::History breaker_history(std::size_t target, std::vector<std::string> nodes,
                                 const reference::BreakerConfig& config);
history::History retry_history(std::size_t target, std::vector<std::string> nodes);
history::History retry_history(std::size_t target, std::vector<std::string> nodes,
                               const reference::RetryConfig& config);
// Nodes n0..n{n-1}, with a cluster event first.
history::History detector_history(std::size_t target, int n);

}  // namespace faultline::bench
