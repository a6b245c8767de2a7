// JSONL history writer: one Event (or raw JSON event) -> one line of JSON.
//
// Contract: to_json(event) builds the DESIGN.md JSON object for an Event from
// its typed body, with "time" and "type" first; fields of `raw` that the
// typed body does not know are kept (so a read history re-writes without
// loss). to_jsonl_line returns that object as one line with no newline
// inside and a trailing '\n'. For an UnknownEvent the raw object is written as
// is (time and type refreshed). read_jsonl_history(to_jsonl_line(e)) yields
// an event equal to e's body and time.
#pragma once

#include <ostream>
#include <string>

#include <nlohmann/json.hpp>

#include "checkers/history/event.h"

namespace faultline::history {

nlohmann::ordered_json to_json(const Event& event);
std::string to_jsonl_line(const Event& event);
// A raw event object (must have "time" and "type"): one line, time/type first.
std::string to_jsonl_line(const nlohmann::json& raw);
// Writes every event of the history, one line each, in order.
void write_jsonl_history(std::ostream& out, const History& history);

}  // namespace faultline::history
