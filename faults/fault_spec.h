// FaultSpec: the vocabulary of faults, as docs/faults.md lists them.
//
// Contract: a FaultSpec is a JSON object with "kind", the kind's parameters,
// the filters its kind takes (e.g. "interface", "destinations") and an
// optional "duration".
// FaultSpec::parse checks the spec against its kind's schema (faults/spec/:
// unknown kinds and fields, missing required fields, values of the wrong type
// or out of range are refused, with a "did you mean"); what depends on the
// host (a path exists, a CPU count) is checked by the mechanism that serves
// it (Mechanism::plan). to_json()
// returns the spec exactly as given, so the history and the journal show what
// the user wrote.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/result.h"
#include "common/units.h"

namespace faultline::faults {

// Every fault kind faultline knows, in the design's order.
const std::vector<std::string>& all_fault_kinds();
bool is_known_fault_kind(std::string_view kind);

struct FaultSpec {
  std::string kind;
  nlohmann::json params = nlohmann::json::object();  // the whole object, "kind" included
  std::optional<Nanos> duration;                     // heal by itself after this long

  static Result<FaultSpec> parse(const nlohmann::json& object);
  // Parses JSON text (the ad-hoc CLI's SPEC argument).
  static Result<FaultSpec> parse_text(std::string_view json_text);

  const nlohmann::json& to_json() const { return params; }
};

}  // namespace faultline::faults
