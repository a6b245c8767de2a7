// Client operations of a history, completed Jepsen-style, ready for the
// linearizability search.
//
// Contract: collect_operations pairs each invoke with the next completion of
// the same process. `ok` -> a completed operation (output = the completion's
// value); `fail` -> dropped (it did not happen); `info`, or an invoke with no
// completion -> an indeterminate operation (`info` true, output null) that may
// take effect at any time after its invoke, or never. A completion without an
// invoke, an invoke while the process still has one pending, or a completion
// whose `f` differs from its invoke's is a kInvalidInput Error naming the
// source line. Positions are indexes into the history's events, so the
// real-time order is the history order (time order; file order on ties).
// An Operation points into the history's events (its values are not copied:
// a long history's values would be held twice), so it is valid while that
// history lives.
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "checkers/history/event.h"
#include "common/result.h"

namespace faultline::checkers::linearizable {

inline constexpr std::size_t kNever = std::numeric_limits<std::size_t>::max();

struct Operation {
  std::int64_t process = 0;
  std::string f;
  const nlohmann::json* in = &null_json();   // the invoke's value
  const nlohmann::json* out = &null_json();  // the ok completion's value; null for info
  const nlohmann::json* k = &null_json();    // null when the op has no key
  bool info = false;               // indeterminate: may happen after invoke, or never
  std::size_t call = 0;            // index of the invoke event in History::events
  std::size_t ret = kNever;        // index of the completion event (kNever for info)
  std::size_t line = 0;            // source line of the invoke (for messages)

  const nlohmann::json& input() const { return *in; }
  const nlohmann::json& output() const { return *out; }
  const nlohmann::json& key() const { return *k; }
  static const nlohmann::json& null_json() {
    static const nlohmann::json null;
    return null;
  }
};

// Every operation of the history, ordered by invoke.
Result<std::vector<Operation>> collect_operations(const history::History& history);

// {"process", "f", "value", "output"?, "type": "ok"|"info", "invoke": {time,line,index},
//  "complete": {...}?} for findings.
nlohmann::json describe_operation(const Operation& op, const history::History& history);
// "process 3 cas [1 2] -> ok" style, for text output.
std::string summarize_operation(const Operation& op);

}  // namespace faultline::checkers::linearizable
