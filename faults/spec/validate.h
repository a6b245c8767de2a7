// validate: a fault spec checked against its kind's schema (field.h).
//
// Contract: check() returns the first problem of a spec object, or nothing
// when it is fine: an unknown kind (with the closest known kind), an unknown
// field (with the closest known field and the kind's fields), a field of the
// other scope (a partition's "peers" in a suite, its "mode" at the agent), a
// missing required field, a value of the wrong type or out of range, or
// fields that exclude each other. Fields named "x-..." are accepted as
// extensions. With Scope::kSuite a string value holding a placeholder
// ("{data}") is not type-checked: it is checked where it is expanded (the
// agent). It changes nothing and reads no host state. message() makes the
// one-line error the agent and the CLI give: `KIND: field "F": REASON`.
#pragma once

#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "faults/spec/field.h"

namespace faultline::faults::spec {

struct Problem {
  std::string field;   // the offending field ("kind" for an unknown kind; "" for the whole spec)
  std::string reason;  // e.g. unknown field "jiter"; did you mean "jitter"? (delay takes: ...)
};

std::optional<Problem> check(const nlohmann::json& spec, Scope scope);

// Why a value does not fit a field, or nothing when it does (no placeholder rule).
std::optional<std::string> check_value(const FieldSpec& field, const nlohmann::json& value);

// "delay: jiter: unknown field ..." (the kind, when known, then the field and reason).
std::string message(const nlohmann::json& spec, const Problem& problem);

// The names a kind takes in a scope, own fields first: "delay, jitter, ...".
std::string field_list(const KindSpec& kind, Scope scope);

}  // namespace faultline::faults::spec
