// Failure signature: how a run failed, and whether another run failed the same way.
//
// Contract: failure_signature(results) reads a results.json object
// (output/run_summary.h) and returns, for every checker whose verdict is
// invalid, the kinds of finding it reports: breaker divergence kinds
// ("decision", "transition", ...), detector properties ("completeness",
// "accuracy", "recovery", ...), retry rules ("delay_bounds", ...),
// "not-linearizable" for the linearizable checker, and "invalid" for a
// checker that names no kind. A run that is not invalid has an empty
// signature. fails_same_way(original, candidate) is true when the candidate
// has at least one (checker, kind) of the original: the same checker
// reporting the same kind of finding (other findings beside it are allowed).
#pragma once

#include <set>
#include <string>
#include <utility>

#include <nlohmann/json.hpp>

namespace faultline::controller::shrink {

using Finding = std::pair<std::string, std::string>;  // (checker, kind)
using FailureSignature = std::set<Finding>;

FailureSignature failure_signature(const nlohmann::json& results);
bool fails_same_way(const FailureSignature& original, const FailureSignature& candidate);
// "breaker:decision, linearizable:not-linearizable"; "none" when empty.
std::string describe(const FailureSignature& signature);
FailureSignature parse_signature(const nlohmann::json& list);  // ["breaker:decision", ...]
nlohmann::json to_json(const FailureSignature& signature);

}  // namespace faultline::controller::shrink
