#include "controller/suite/yaml_set.h"

#include <charconv>
#include <cmath>

#include <fmt/format.h>

namespace faultline::controller {
namespace {

bool parse_index(const std::string& text, std::size_t& index) {
  if (text.empty()) return false;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), index);
  return ec == std::errc() && ptr == text.data() + text.size();
}

std::vector<std::string> split_path(const std::string& path) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  while (true) {
    auto dot = path.find('.', start);
    parts.push_back(path.substr(start, dot == std::string::npos ? std::string::npos : dot - start));
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  return parts;
}

}  // namespace

Result<std::string> apply_set(YAML::Node& root, const std::string& assignment) {
  auto eq = assignment.find('=');
  if (eq == std::string::npos)
    return invalid_input(fmt::format("--set {}: expected key=value", assignment));
  std::string path = assignment.substr(0, eq);
  std::string text = assignment.substr(eq + 1);
  auto parts = split_path(path);
  for (const auto& part : parts)
    if (part.empty()) return invalid_input(fmt::format("--set {}: empty path component", path));
  YAML::Node value;
  try {
    value = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    return invalid_input(fmt::format("--set {}: value is not valid YAML: {}", path, e.msg));
  }
  if (!value.IsDefined() || (value.IsNull() && text.empty())) value = YAML::Node(std::string());
  try {
    if (!root.IsDefined() || root.IsNull()) root = YAML::Node(YAML::NodeType::Map);
    YAML::Node current;
    current.reset(root);
    for (std::size_t i = 0; i < parts.size(); ++i) {
      const bool last = i + 1 == parts.size();
      const auto& key = parts[i];
      std::size_t index = 0;
      if (current.IsSequence()) {
        if (!parse_index(key, index) || index >= current.size())
          return invalid_input(fmt::format("--set {}: '{}' is not an index of a list of {}", path, key, current.size()));
        if (last) {
          current[index] = value;
        } else {
          YAML::Node next;
          next.reset(current[index]);
          current.reset(next);
        }
        continue;
      }
      if (current.IsScalar())
        return invalid_input(fmt::format("--set {}: '{}' is inside a scalar value", path, key));
      if (!current.IsMap()) current = YAML::Node(YAML::NodeType::Map);
      if (last) {
        current[key] = value;
      } else {
        if (!current[key].IsDefined() || current[key].IsNull()) current[key] = YAML::Node(YAML::NodeType::Map);
        YAML::Node next;
        next.reset(current[key]);
        current.reset(next);
      }
    }
  } catch (const YAML::Exception& e) {
    return invalid_input(fmt::format("--set {}: {}", path, e.msg));
  }
  return path;
}

nlohmann::json yaml_to_json(const YAML::Node& node) {
  if (!node.IsDefined() || node.IsNull()) return nullptr;
  if (node.IsSequence()) {
    auto array = nlohmann::json::array();
    for (const auto& item : node) array.push_back(yaml_to_json(item));
    return array;
  }
  if (node.IsMap()) {
    auto object = nlohmann::json::object();
    for (const auto& item : node) object[item.first.as<std::string>()] = yaml_to_json(item.second);
    return object;
  }
  const std::string& text = node.Scalar();
  if (node.Tag() == "!") return text;  // quoted: a string as written
  if (text == "true" || text == "True" || text == "yes") return true;
  if (text == "false" || text == "False" || text == "no") return false;
  if (text == "~" || text == "null") return nullptr;
  {
    long long integer = 0;
    auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), integer);
    if (ec == std::errc() && ptr == text.data() + text.size() && !text.empty()) return integer;
  }
  {
    double number = 0;
    auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), number);
    if (ec == std::errc() && ptr == text.data() + text.size() && !text.empty() && std::isfinite(number))
      return number;
  }
  return text;
}

}  // namespace faultline::controller
