// check / message (validate.h).
#include "faults/spec/validate.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "common/did_you_mean.h"

namespace faultline::faults::spec {
namespace {

bool in_scope(const FieldSpec& f, Scope scope) { return f.scope == Scope::kBoth || f.scope == scope; }

bool has_placeholder(const nlohmann::json& v) {
  if (v.is_string()) {
    const auto& s = v.get_ref<const std::string&>();
    auto open = s.find('{');
    return open != std::string::npos && s.find('}', open) != std::string::npos;
  }
  if (v.is_array())
    for (const auto& item : v)
      if (has_placeholder(item)) return true;
  return false;
}

std::vector<std::string> names_in_scope(const KindSpec& kind, Scope scope) {
  std::vector<std::string> names;
  for (const auto& f : kind.fields)
    if (in_scope(f, scope)) names.push_back(f.name);
  for (const auto& f : common_fields()) names.push_back(f.name);
  if (scope == Scope::kSuite) names.push_back("targets");  // the suite's own, beside the spec
  return names;
}

}  // namespace

std::string field_list(const KindSpec& kind, Scope scope) {
  return fmt::format("{}", fmt::join(names_in_scope(kind, scope), ", "));
}

std::optional<Problem> check(const nlohmann::json& spec, Scope scope) {
  if (!spec.is_object()) return Problem{"", "a fault spec must be a map with \"kind\""};
  auto kind_it = spec.find("kind");
  if (kind_it == spec.end() || !kind_it->is_string()) return Problem{"kind", "missing (a string such as \"delay\")"};
  const auto kind_name = kind_it->get<std::string>();
  const KindSpec* kind = find_kind(kind_name);
  if (!kind) {
    std::vector<std::string> known;
    for (const auto& k : all_kinds()) known.push_back(k.kind);
    auto close = closest_name(kind_name, known, 3);
    return Problem{"kind", fmt::format("unknown fault kind '{}'{} (known: {})", kind_name,
                                       close.empty() ? "" : fmt::format("; did you mean '{}'?", close),
                                       fmt::join(known, ", "))};
  }
  // Every field the spec has: known, in scope, and a fitting value.
  for (const auto& [name, value] : spec.items()) {
    if (name.rfind("x-", 0) == 0) continue;  // an extension: ignored, kept
    const FieldSpec* field = find_field(*kind, name);
    if (!field) {
      auto close = closest_name(name, names_in_scope(*kind, scope));
      return Problem{name, fmt::format("unknown field \"{}\"{} ({} takes: {})", name,
                                       close.empty() ? "" : fmt::format("; did you mean \"{}\"?", close), kind->kind,
                                       field_list(*kind, scope))};
    }
    if (!in_scope(*field, scope)) {
      if (scope == Scope::kSuite)
        return Problem{name, fmt::format("the controller computes \"{}\" (from the mode); do not set it in a suite",
                                         name)};
      return Problem{name, fmt::format("\"{}\" belongs in a suite (the controller turns it into \"peers\"); "
                                       "the agent takes: {}", name, field_list(*kind, scope))};
    }
    if (name == "kind") continue;
    if (scope == Scope::kSuite && has_placeholder(value)) continue;  // checked once expanded
    if (value.is_null()) continue;                                   // as if absent
    if (auto bad = check_value(*field, value)) return Problem{name, *bad};
  }
  for (const auto& f : kind->fields)
    if (f.required && in_scope(f, scope) && (!spec.contains(f.name) || spec[f.name].is_null()))
      return Problem{f.name, fmt::format("is required: {} ({})", type_text(f), f.doc)};
  for (const auto& group : kind->exactly_one_of) {
    int given = 0;
    for (const auto& name : group) given += spec.contains(name) && !spec[name].is_null() ? 1 : 0;
    if (given != 1)
      return Problem{given == 0 ? "" : group.back(),
                     fmt::format("{} needs exactly one of: {}", kind->kind, fmt::join(group, ", "))};
  }
  return std::nullopt;
}

std::string message(const nlohmann::json& spec, const Problem& problem) {
  std::string kind = spec.is_object() && spec.contains("kind") && spec["kind"].is_string() &&
                             find_kind(spec["kind"].get<std::string>())
                         ? spec["kind"].get<std::string>() + ": "
                         : std::string();
  if (problem.field.empty()) return kind + problem.reason;
  if (problem.field == "kind" || problem.reason.rfind("unknown field", 0) == 0) return kind + problem.reason;
  return fmt::format("{}field \"{}\"{}{}", kind, problem.field, problem.reason.rfind("is ", 0) == 0 ? " " : ": ",
                     problem.reason);
}

}  // namespace faultline::faults::spec
