// The JSONL reader's fast path: the events a run records by the million
// (detector, breaker, retry) parsed with simdjson's On-Demand API straight
// into their typed bodies, without building a JSON tree.
//
// Contract: parse_fast_event(parser, line, length, capacity, event) returns
// true when `line` (one JSONL line, no newline; `capacity` >= length +
// SIMDJSON_PADDING readable bytes from `line`) is a detector, breaker or
// retry event in exactly the shape jsonl_writer.h writes: only the fields the
// writer writes for it (so `extra` stays null), each once, with the
// documented types and values, and no "time_estimate". `event` (time and
// body; line and index untouched) is then exactly what parse_jsonl_event
// makes of the line. Anything else (another type, an extra field, a wrong
// type or value, invalid JSON) returns false and the caller parses the line
// the general way, which also names what is wrong. Never an error of its own.
#pragma once

#include <cstddef>

#include <simdjson.h>

#include "checkers/history/event.h"

namespace faultline::history {

bool parse_fast_event(simdjson::ondemand::parser& parser, const char* line, std::size_t length, std::size_t capacity,
                      Event& event);

}  // namespace faultline::history
