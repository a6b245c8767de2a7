// The `breaker` checker: do the system's circuit breakers decide as the
// reference breaker does?
//
// Contract (docs/history.md): the `breaker` events of each
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
// Timer transitions (a breaker that turns half_open by itself, or reopens
// after half_open_max_wait) are made by the reference at their instant and
// expected before the next call or result (or by the end, unless due within
// `tolerance` of it). Any transition may be logged just before or just after
// the call or result that causes it.
// Config section `breaker`: `profile` (required: a library name from
// reference/breaker_profiles.h) sets every knob; any knob of
// reference::BreakerConfig may be overridden by name (enums by their
// to_string names), plus `max_requests` (gobreaker: half_open_max_calls and
// success_threshold at once) and `tolerance` (5ms). With no section (or an
// empty one) the checker does not guess: its verdict is unknown, with the
// reason.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "checkers/checker.h"
#include "checkers/reference/circuit_breaker.h"

namespace faultline::checkers {

// The reference breaker configuration and tolerance from a config section.
struct BreakerCheckConfig {
  std::string profile;
  reference::BreakerConfig breaker;
  Nanos tolerance = 5'000'000;
};
// nullopt when the section is absent or empty (no policy configured).
Result<std::optional<BreakerCheckConfig>> parse_breaker_config(const nlohmann::json& section);
// Every effective knob, for findings.
nlohmann::json breaker_config_json(const BreakerCheckConfig& config);
std::string breaker_profile_names();

std::unique_ptr<Checker> make_breaker_checker();

}  // namespace faultline::checkers
