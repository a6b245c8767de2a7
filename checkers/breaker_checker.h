// The `breaker` checker: do the system's circuit breakers decide as the
// reference breaker does?
//
// Contract (issue 6, DESIGN.md "History"): the `breaker` events of each
// breaker (same node and name) are replayed in history order (equal times in
// file order): every `call` goes through CircuitBreaker::allow and every
// `result` through CircuitBreaker::record of one reference breaker built from
// the config section. The history is invalid at the first divergence of a
// breaker: a call the history permitted that the reference rejects (or the
// reverse), a result for a call that is not in flight, a transition the
// reference makes that the history does not show before the next call/result
// (or by the end), or a history transition the reference does not make (or
// with other from/to). An open->half_open transition may be logged just
// before or just after the call it admits. A call within `tolerance` of the
// recovery-timeout boundary may go either way (the reference follows the
// history there). After its first divergence a breaker is not replayed
// further. A `kill` fault restarts the breakers of its targets: after the
// kill's end they are replayed on a fresh (closed) reference breaker, and
// between its start and end the first event the old reference cannot
// explain is replayed on a fresh one (the restarted process may log before
// the kill's end is); what the killed process owed (a transition not yet
// logged) is no longer expected. Each divergence names the breaker, the
// event (time, line), what the reference expected, the reference's state,
// and the events around it.
// Config section `breaker` (all optional; defaults in parentheses): policy
// (consecutive) | rate, failure_threshold (5), window_size (100),
// minimum_calls (100), failure_rate_threshold (50), recovery_timeout (1s),
// half_open_max_calls (1), success_threshold (1), tolerance (5ms).
#pragma once

#include <memory>

#include "checkers/checker.h"
#include "checkers/reference/circuit_breaker.h"

namespace faultline::checkers {

// The reference breaker configuration and tolerance from a config section.
struct BreakerCheckConfig {
  reference::BreakerConfig breaker;
  Nanos tolerance = 5'000'000;
};
Result<BreakerCheckConfig> parse_breaker_config(const nlohmann::json& section);

std::unique_ptr<Checker> make_breaker_checker();

}  // namespace faultline::checkers
