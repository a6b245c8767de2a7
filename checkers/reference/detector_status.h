// What every reference failure detector reports: one observer's verdict on
// one subject, in the vocabulary of docs/events.md's `detector` events.
//
// Contract: Status is alive, suspect or dead (a heartbeat detector's
// healthy/suspect/failed map onto these, in that order). A StatusChange is
// emitted exactly when an observer's verdict on a subject changes, carrying
// the incarnation the observer believes (0 where it has none); `time` is
// the instant the detector decided it (the `now` it was given), so a service
// can write it as {"type":"detector","node":observer,"subject":subject,
// "status":to_string(status),"incarnation":incarnation} without translation.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "common/units.h"

namespace faultline::reference {

enum class Status { kAlive, kSuspect, kDead };

// "alive", "suspect", "dead".
const char* to_string(Status status);

struct StatusChange {
  Nanos time = 0;
  std::string observer;
  std::string subject;
  Status status = Status::kAlive;
  std::uint64_t incarnation = 0;

  bool operator==(const StatusChange&) const = default;
};

// The change as one line of a history (docs/history.md) (JSONL, no newline), with
// `time` as given: {"time":T,"type":"detector","node":observer,
// "subject":subject,"status":"suspect","incarnation":I}.
std::string to_history_line(const StatusChange& change);

// Called synchronously, inside the detector call that made the decision.
using ChangeListener = std::function<void(const StatusChange&)>;

}  // namespace faultline::reference
