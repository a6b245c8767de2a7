#include "controller/shrink/failure.h"

#include <algorithm>

namespace faultline::controller::shrink {
namespace {

bool invalid(const nlohmann::json& checker) {
  auto it = checker.find("valid");
  return it != checker.end() && it->is_boolean() && !it->get<bool>();
}

void keys_of(const nlohmann::json& object, const std::string& checker, FailureSignature& out) {
  if (!object.is_object()) return;
  for (const auto& [key, count] : object.items())
    if (!count.is_number() || count.get<double>() > 0) out.insert({checker, key});
}

}  // namespace

FailureSignature failure_signature(const nlohmann::json& results) {
  FailureSignature out;
  if (!results.is_object() || !results.contains("checkers") || !results["checkers"].is_object()) return out;
  for (const auto& [name, checker] : results["checkers"].items()) {
    if (!checker.is_object() || !invalid(checker)) continue;
    const std::size_t before = out.size();
    if (name == "linearizable") {
      out.insert({name, "not-linearizable"});
    } else if (checker.contains("divergences")) {  // breaker
      for (const auto& d : checker["divergences"])
        if (d.is_object() && d.contains("kind") && d["kind"].is_string()) out.insert({name, d["kind"].get<std::string>()});
    } else if (checker.contains("violations_by_property")) {  // detector
      keys_of(checker["violations_by_property"], name, out);
    } else if (checker.contains("violations_by_rule")) {  // retry
      keys_of(checker["violations_by_rule"], name, out);
    }
    if (out.size() == before) out.insert({name, "invalid"});
  }
  return out;
}

bool fails_same_way(const FailureSignature& original, const FailureSignature& candidate) {
  return std::any_of(candidate.begin(), candidate.end(), [&](const Finding& f) { return original.count(f) > 0; });
}

std::string describe(const FailureSignature& signature) {
  if (signature.empty()) return "none";
  std::string out;
  for (const auto& [checker, kind] : signature) out += (out.empty() ? "" : ", ") + checker + ":" + kind;
  return out;
}

FailureSignature parse_signature(const nlohmann::json& list) {
  FailureSignature out;
  if (!list.is_array()) return out;
  for (const auto& item : list) {
    if (!item.is_string()) continue;
    auto text = item.get<std::string>();
    auto colon = text.find(':');
    if (colon == std::string::npos) out.insert({text, "invalid"});
    else out.insert({text.substr(0, colon), text.substr(colon + 1)});
  }
  return out;
}

nlohmann::json to_json(const FailureSignature& signature) {
  auto list = nlohmann::json::array();
  for (const auto& [checker, kind] : signature) list.push_back(checker + ":" + kind);
  return list;
}

}  // namespace faultline::controller::shrink
