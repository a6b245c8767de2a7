// Seeded histories for the checker benchmarks: breaker events driven by the
// reference breaker (bursts of failures trip it), retry attempts from the
// reference retry policy, and detector declarations around kill and loss
// faults. Each generator stops once the history has `target` events.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "checkers/history/event.h"

namespace faultline::bench {

history::History breaker_history(std::size_t target, std::vector<std::string> nodes);
history::History retry_history(std::size_t target, std::vector<std::string> nodes);
// Nodes n0..n{n-1}, with a cluster event first.
history::History detector_history(std::size_t target, int n);

}  // namespace faultline::bench
