#include "controller/suite/placeholders.h"

#include <algorithm>
#include <cctype>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "common/did_you_mean.h"
#include "controller/suite/suite.h"

namespace faultline::controller {
namespace {

bool name_start(char c) { return std::isalpha(static_cast<unsigned char>(c)) || c == '_'; }
bool name_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.'; }

// Calls on_text(plain) and on_name(name) for the pieces of `text`, in order.
template <typename Text, typename Name>
void scan(std::string_view text, Text on_text, Name on_name) {
  std::size_t plain = 0, i = 0;
  while (i < text.size()) {
    if (text[i] == '{' && (i == 0 || text[i - 1] != '$') && i + 1 < text.size() && name_start(text[i + 1])) {
      std::size_t end = i + 1;
      while (end < text.size() && name_char(text[end])) ++end;
      if (end < text.size() && text[end] == '}') {
        on_text(text.substr(plain, i - plain));
        on_name(text.substr(i + 1, end - i - 1));
        i = plain = end + 1;
        continue;
      }
    }
    ++i;
  }
  on_text(text.substr(plain));
}

}  // namespace

std::vector<std::string> placeholders_in(std::string_view text) {
  std::vector<std::string> names;
  scan(text, [](std::string_view) {}, [&](std::string_view name) { names.emplace_back(name); });
  return names;
}

std::string expand(std::string_view text, const Placeholders& values) {
  std::string out;
  out.reserve(text.size());
  scan(
      text, [&](std::string_view plain) { out.append(plain); },
      [&](std::string_view name) {
        auto it = values.find(std::string(name));
        if (it != values.end()) out += it->second;
        else out += "{" + std::string(name) + "}";
      });
  return out;
}

nlohmann::json expand_json(const nlohmann::json& value, const Placeholders& values) {
  if (value.is_string()) return expand(value.get<std::string>(), values);
  if (value.is_array() || value.is_object()) {
    auto copy = value;
    for (auto& item : copy) item = expand_json(item, values);
    return copy;
  }
  return value;
}

std::set<std::string> known_placeholders(const Suite& suite, PlaceholderScope scope) {
  std::set<std::string> known{"nodes", "addresses", "port", "suite_dir", "seed", "concurrency"};
  for (const auto& [name, port] : suite.sut.ports) {
    known.insert("ports." + name);
    known.insert("addresses." + name);
  }
  for (const auto& [name, list] : suite.sut.lists) known.insert("lists." + name);
  if (scope == PlaceholderScope::kNode) {
    for (const char* name : {"node", "address", "peers", "peer_addresses", "events", "data", "index"}) known.insert(name);
    for (const auto& [name, port] : suite.sut.ports) known.insert("peer_addresses." + name);
  } else {
    for (const char* name : {"process", "client_node", "client_address", "client_index"}) known.insert(name);
  }
  return known;
}

Result<void> check_placeholders(std::string_view text, const std::set<std::string>& known) {
  for (const auto& name : placeholders_in(text)) {
    if (known.count(name)) continue;
    const std::string suggestion = closest_name(name, known);
    return invalid_input(fmt::format("unknown placeholder {{{}}}{} (known here: {{{}}})", name,
                                     suggestion.empty() ? "" : fmt::format("; did you mean {{{}}}?", suggestion),
                                     fmt::join(known, "} {")));
  }
  return ok_result();
}

}  // namespace faultline::controller
