// kinds_markdown / kind_text (markdown.h).
#include "faults/spec/markdown.h"

#include <fmt/format.h>

#include "faults/spec/field.h"

namespace faultline::faults::spec {
namespace {

std::string cell(std::string text) {
  std::string out;
  for (char c : text) out += c == '|' ? std::string("\\|") : std::string(1, c);
  return out;
}

std::string scope_note(const FieldSpec& f) {
  if (f.scope == Scope::kSuite) return " (suite only)";
  if (f.scope == Scope::kAgent) return " (agent and `faultline fault apply` only; a suite's controller computes it)";
  return "";
}

void table(std::string& out, const std::vector<FieldSpec>& fields) {
  out += "| field | type | required / default | meaning |\n|---|---|---|---|\n";
  for (const auto& f : fields)
    out += fmt::format("| `{}` | {} | {} | {}{} |\n", f.name, cell(type_text(f)),
                       f.required ? std::string("**required**") : cell(f.default_text.empty() ? "—" : f.default_text),
                       cell(f.doc), scope_note(f));
}

}  // namespace

std::string kinds_markdown() {
  std::string out;
  for (const auto& k : all_kinds()) {
    out += fmt::format("### `{}` ({})\n\n{}.\n\n", k.kind, k.family, k.doc);
    if (k.fields.empty()) out += "No fields of its own.\n\n";
    else {
      table(out, k.fields);
      out += "\n";
    }
    for (const auto& group : k.exactly_one_of) {
      std::string names;
      for (const auto& n : group) names += (names.empty() ? "`" : ", `") + n + "`";
      out += fmt::format("Exactly one of {}.\n\n", names);
    }
    if (!k.examples.empty()) {
      out += "```json\n";
      for (const auto& e : k.examples) out += e + "\n";
      out += "```\n\n";
    }
  }
  out += "### Common fields (every kind)\n\n";
  table(out, common_fields());
  out += "\nFields named `x-...` are extensions: every kind accepts them, faultline ignores them and keeps them "
         "as written (in the journal and the history).\n";
  return out;
}

std::string kind_text(const std::string& kind) {
  const KindSpec* k = find_kind(kind);
  if (!k) return "";
  std::string out = fmt::format("{} ({}): {}\n", k->kind, k->family, k->doc);
  auto line = [&](const FieldSpec& f) {
    out += fmt::format("  {:<18} {}{}\n  {:<18} {}\n", f.name, type_text(f),
                       f.required ? ", required" : f.default_text.empty() ? "" : ", default " + f.default_text, "",
                       f.doc + scope_note(f));
  };
  for (const auto& f : k->fields) line(f);
  for (const auto& e : k->examples) out += "  e.g. " + e + "\n";
  return out;
}

}  // namespace faultline::faults::spec
