// Placeholders: the {name} words in a suite's commands and fault specs.
//
// A placeholder is "{" NAME "}" with NAME made of letters, digits, '_' and
// '.', starting with a letter or '_' — for example {node}, {ports.peer},
// {lists.initial_cluster}. Braces around anything else ({"a": 1}, awk's
// {print $1}) and a "{" right after "$" (the shell's ${VAR}) are plain text.
// Which names exist depends on where the text is (PlaceholderScope) and on
// the suite (its port names and lists); docs/suites.md has the table.
//
// Contract: placeholders_in() lists the placeholder names of a text, in
// order. expand() replaces each placeholder whose name has a value and
// leaves the rest as written. check_placeholders() returns an kInvalidInput
// Error naming the first unknown placeholder (with a close known name to
// suggest, when there is one) and every known one; the suite loader calls
// it for every templated field, so a typo stops the run before anything
// starts. known_placeholders() gives the names a scope offers for a suite.
#pragma once

#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/result.h"

namespace faultline::controller {

using Placeholders = std::map<std::string, std::string>;

std::vector<std::string> placeholders_in(std::string_view text);
std::string expand(std::string_view text, const Placeholders& values);
nlohmann::json expand_json(const nlohmann::json& value, const Placeholders& values);

enum class PlaceholderScope {
  kNode,    // the SUT's command, env, ready and teardown commands, fault specs, lists
  kClient,  // the client's command
};

struct Suite;
std::set<std::string> known_placeholders(const Suite& suite, PlaceholderScope scope);
Result<void> check_placeholders(std::string_view text, const std::set<std::string>& known);

}  // namespace faultline::controller
