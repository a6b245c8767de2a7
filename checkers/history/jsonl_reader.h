// JSONL history reader: one JSON object per line (docs/history.md).
//
// Contract: read_jsonl_history parses every line of `in` into an Event and
// returns the History, or an kInvalidInput Error "SOURCE:LINE: reason" for
// the first malformed line (not JSON, not an object, missing or non-integer
// `time`, negative `time`, missing or non-string `type`, or a known type
// whose fields have the wrong type or value). It never guesses: a field that
// is present must have the documented type. Blank lines are skipped (they
// still count for line numbers). Unknown types are kept as UnknownEvent.
// An event with "time_estimate" (a late event the recorder wrote at a later
// `time` to keep the file's times non-decreasing) takes that earlier actual
// time. Events are ordered by time; events with equal time keep their file order
// (stable). Each Event keeps its 1-based source `line`, its position `index`
// in the result, and in `extra` the fields its typed body does not hold
// (jsonl_writer.h writes_field; null when none). The first `cluster` event
// sets History::nodes. `source` names the input in messages (usually the
// path). The input is read in chunks of whole lines (never whole); when it
// can seek, its lines are counted first so the events are stored in one
// allocation.
#pragma once

#include <istream>
#include <string>

#include "checkers/history/event.h"
#include "common/result.h"

namespace faultline::history {

// kFast (the default) parses detector, breaker and retry events in the
// writer's shape with simdjson (jsonl_fast.h) and every other line with
// nlohmann-json; kGeneral parses every line with nlohmann-json. The result is
// the same either way.
enum class JsonlParse { kFast, kGeneral };
Result<History> read_jsonl_history(std::istream& in, const std::string& source, JsonlParse parse = JsonlParse::kFast);

// Parses one already-decoded JSON object into an Event (line/index left 0).
// The error message has no "SOURCE:LINE:" prefix.
Result<Event> parse_jsonl_event(const nlohmann::json& object);

}  // namespace faultline::history
