// JSONL history writer: one Event (or raw JSON event) -> one line of JSON.
//
// Contract: to_json(event) builds the docs/history.md JSON object for an Event from
// its typed body, with "time" and "type" first, then the fields of `extra`
// (the source fields the typed body does not hold; for an UnknownEvent all
// of them), so a read history re-writes without loss. Fields the reader
// filled with their documented default are written with it ("value": null
// on a client event without one, "incarnation": 0, ...). writes_field says
// whether to_json writes `key` from the typed body (readers keep the other
// fields in `extra`). to_jsonl_line returns the object as one line with no
// newline inside and a trailing '\n'. read_jsonl_history(to_jsonl_line(e))
// yields an event equal to e's body, time and extra.
#pragma once

#include <ostream>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "checkers/history/event.h"

namespace faultline::history {

nlohmann::ordered_json to_json(const Event& event);
bool writes_field(const EventBody& body, std::string_view key);
std::string to_jsonl_line(const Event& event);
// A raw event object (must have "time" and "type"): one line, time/type first.
std::string to_jsonl_line(const nlohmann::json& raw);
// Writes every event of the history, one line each, in order.
void write_jsonl_history(std::ostream& out, const History& history);

}  // namespace faultline::history
