// Helpers for checker findings that point at history events.
//
// Contract: event_json(e) is {"time": ns, "line": n, "event": E} where E is
// the event's JSON as the history file has it, rebuilt from the typed event
// (history/jsonl_writer.h to_json: its body and the source fields it does not
// hold); line is omitted when the event was built in memory. describe_time formats ns as
// a duration ("5.1s"). Lists of findings are capped at kMaxListed entries;
// the full count is reported beside them.
#pragma once

#include <cstddef>
#include <string>

#include <nlohmann/json.hpp>

#include "checkers/history/event.h"

namespace faultline::checkers {

inline constexpr std::size_t kMaxListed = 100;

nlohmann::json event_json(const history::Event& event);
std::string describe_time(history::Nanos ns);
// "line 12" or "(no line)" for messages.
std::string describe_line(const history::Event& event);

}  // namespace faultline::checkers
