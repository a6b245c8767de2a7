#include "checkers/config_reader.h"

#include <fmt/format.h>

#include "common/did_you_mean.h"

namespace faultline::checkers {

ConfigReader::ConfigReader(const nlohmann::json& section, std::string name)
    : section_(section.is_object() ? section : nlohmann::json::object()), name_(std::move(name)) {}

bool ConfigReader::has(const std::string& field) const { return section_.contains(field); }

const nlohmann::json* ConfigReader::get(const std::string& field) {
  seen_.insert(field);
  auto it = section_.find(field);
  if (it == section_.end() || it->is_null()) return nullptr;
  return &*it;
}

void ConfigReader::fail(const std::string& field, const std::string& why) {
  if (!error_) error_ = invalid_input(fmt::format("config {}.{}: {}", name_, field, why));
}

std::optional<Nanos> ConfigReader::optional_duration(const std::string& field, Nanos min) {
  const auto* v = get(field);
  if (!v) return std::nullopt;
  Nanos ns = 0;
  if (v->is_number_integer()) {
    ns = v->get<Nanos>();
  } else if (v->is_string()) {
    auto parsed = parse_duration(v->get<std::string>());
    if (!parsed) {
      fail(field, parsed.error().message);
      return std::nullopt;
    }
    ns = *parsed;
  } else {
    fail(field, fmt::format("must be a duration such as \"250ms\" or integer nanoseconds, got {}", v->dump()));
    return std::nullopt;
  }
  if (ns < min) {
    fail(field, fmt::format("must be at least {}", format_duration(min)));
    return std::nullopt;
  }
  return ns;
}

Nanos ConfigReader::duration(const std::string& field, Nanos fallback, Nanos min) {
  return optional_duration(field, min).value_or(fallback);
}

std::int64_t ConfigReader::integer(const std::string& field, std::int64_t fallback, std::int64_t min, std::int64_t max) {
  const auto* v = get(field);
  if (!v) return fallback;
  if (!v->is_number_integer()) {
    fail(field, fmt::format("must be an integer, got {}", v->dump()));
    return fallback;
  }
  auto n = v->get<std::int64_t>();
  if (n < min || n > max) {
    fail(field, fmt::format("must be between {} and {}, got {}", min, max, n));
    return fallback;
  }
  return n;
}

double ConfigReader::number(const std::string& field, double fallback, double min, double max) {
  const auto* v = get(field);
  if (!v) return fallback;
  if (!v->is_number()) {
    fail(field, fmt::format("must be a number, got {}", v->dump()));
    return fallback;
  }
  double n = v->get<double>();
  if (!(n >= min && n <= max)) {
    fail(field, fmt::format("must be between {} and {}, got {}", min, max, v->dump()));
    return fallback;
  }
  return n;
}

bool ConfigReader::boolean(const std::string& field, bool fallback) {
  const auto* v = get(field);
  if (!v) return fallback;
  if (!v->is_boolean()) {
    fail(field, fmt::format("must be true or false, got {}", v->dump()));
    return fallback;
  }
  return v->get<bool>();
}

std::string ConfigReader::string(const std::string& field, const std::string& fallback) {
  const auto* v = get(field);
  if (!v) return fallback;
  if (!v->is_string()) {
    fail(field, fmt::format("must be a string, got {}", v->dump()));
    return fallback;
  }
  return v->get<std::string>();
}

std::vector<std::string> ConfigReader::strings(const std::string& field, const std::vector<std::string>& fallback) {
  const auto* v = get(field);
  if (!v) return fallback;
  std::vector<std::string> out;
  if (v->is_array()) {
    for (const auto& item : *v) {
      if (!item.is_string()) {
        fail(field, fmt::format("must be a list of strings, has {}", item.dump()));
        return fallback;
      }
      out.push_back(item.get<std::string>());
    }
    return out;
  }
  fail(field, fmt::format("must be a list of strings, got {}", v->dump()));
  return fallback;
}

Result<void> ConfigReader::finish() const {
  if (error_) return *error_;
  for (auto it = section_.begin(); it != section_.end(); ++it) {
    if (seen_.count(it.key())) continue;
    const std::string guess = closest_name(it.key(), seen_);
    return invalid_input(fmt::format("config {}: unknown field \"{}\"{}", name_, it.key(),
                                     guess.empty() ? "" : fmt::format("; did you mean \"{}\"?", guess)));
  }
  return ok_result();
}

}  // namespace faultline::checkers
