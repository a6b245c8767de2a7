#include "checkers/availability_config.h"

#include <algorithm>
#include <set>

#include <fmt/format.h>

#include "checkers/config_reader.h"
#include "common/did_you_mean.h"

namespace faultline::checkers {
namespace {

constexpr const char* kSection = "availability";

Result<AvailabilityBound> parse_bound(const nlohmann::json& object, const std::string& where) {
  if (!object.is_object())
    return invalid_input(fmt::format("config {}: must be a map such as {{success_rate: 0.99, p99: 50ms}}, got {}", where,
                                     object.dump()));
  ConfigReader c(object, where);
  AvailabilityBound out;
  if (c.has("success_rate")) out.success_rate = c.number("success_rate", 0, 0, 1);
  else c.ignore("success_rate");  // still a name to suggest for a typo
  for (const auto& [name, q] : latency_quantiles())
    if (auto limit = c.optional_duration(name)) out.latency.push_back({name, q, *limit});
  if (auto done = c.finish(); !done) return done.error();
  return out;
}

bool is_bound_field(const std::string& key) {
  if (key == "success_rate") return true;
  const auto& qs = latency_quantiles();
  return std::any_of(qs.begin(), qs.end(), [&](const auto& p) { return p.first == key; });
}

bool is_kind(const std::string& key) {
  const auto& kinds = availability_fault_kinds();
  return std::find(kinds.begin(), kinds.end(), key) != kinds.end();
}

Error unknown_key(const std::string& where, const std::string& key, std::vector<std::string> candidates) {
  const std::string guess = closest_name(key, candidates);
  return invalid_input(fmt::format("config {}: unknown field \"{}\"{}", where, key,
                                   guess.empty() ? "" : fmt::format("; did you mean \"{}\"?", guess)));
}

std::vector<std::string> bound_fields() {
  std::vector<std::string> out{"success_rate"};
  for (const auto& [name, q] : latency_quantiles()) out.push_back(name);
  return out;
}

// `during`: bound fields for every fault, and/or a map per fault kind.
Result<void> parse_during(const nlohmann::json& during, AvailabilityConfig& out) {
  const std::string where = std::string(kSection) + ".during";
  if (!during.is_object()) return invalid_input(fmt::format("config {}: must be a map, got {}", where, during.dump()));
  nlohmann::json general = nlohmann::json::object();
  for (auto it = during.begin(); it != during.end(); ++it) {
    const std::string& key = it.key();
    if (is_bound_field(key)) {
      general[key] = it.value();
    } else if (is_kind(key)) {
      auto bound = parse_bound(it.value(), where + "." + key);
      if (!bound) return bound.error();
      out.during_by_kind[key] = std::move(bound).value();
    } else {
      auto candidates = bound_fields();
      for (const auto& k : availability_fault_kinds()) candidates.push_back(k);
      return unknown_key(where, key, candidates);
    }
  }
  auto bound = parse_bound(general, where);
  if (!bound) return bound.error();
  out.during = std::move(bound).value();
  return ok_result();
}

Result<Nanos> parse_positive_duration(const nlohmann::json& value, const std::string& where) {
  ConfigReader c(nlohmann::json{{"v", value}}, where);
  auto d = c.optional_duration("v", 0);
  if (auto done = c.finish(); !done) {
    auto message = done.error().message;
    // "config W.v: reason" -> "config W: reason"
    if (auto at = message.find(where + ".v"); at != std::string::npos) message.replace(at, where.size() + 2, where);
    return invalid_input(message);
  }
  return d.value_or(0);
}

// `recovery_time`: one duration, or a map kind -> duration (plus `default`).
Result<void> parse_recovery(const nlohmann::json& value, AvailabilityConfig& out) {
  const std::string where = std::string(kSection) + ".recovery_time";
  if (!value.is_object()) {
    auto d = parse_positive_duration(value, where);
    if (!d) return d.error();
    out.recovery_time = *d;
    return ok_result();
  }
  for (auto it = value.begin(); it != value.end(); ++it) {
    const std::string& key = it.key();
    if (key != "default" && !is_kind(key)) {
      std::vector<std::string> candidates{"default"};
      for (const auto& k : availability_fault_kinds()) candidates.push_back(k);
      return unknown_key(where, key, candidates);
    }
    auto d = parse_positive_duration(it.value(), where + "." + key);
    if (!d) return d.error();
    if (key == "default") out.recovery_time = *d;
    else out.recovery_by_kind[key] = *d;
  }
  return ok_result();
}

}  // namespace

nlohmann::json AvailabilityBound::to_json() const {
  nlohmann::json j = nlohmann::json::object();
  if (success_rate) j["success_rate"] = *success_rate;
  for (const auto& l : latency) {
    // "470.4ms" rather than "470400us".
    if (l.limit % 1'000'000 != 0 && l.limit > 1'000'000) {
      std::string t = fmt::format("{:.6f}", static_cast<double>(l.limit) / 1e6);
      while (t.back() == '0') t.pop_back();
      j[l.name] = t + "ms";
    } else {
      j[l.name] = format_duration(l.limit);
    }
  }
  return j;
}

const AvailabilityBound& AvailabilityConfig::during_for(const std::string& kind) const {
  auto it = during_by_kind.find(kind);
  return it == during_by_kind.end() ? during : it->second;
}

Nanos AvailabilityConfig::recovery_for(const std::string& kind) const {
  auto it = recovery_by_kind.find(kind);
  return it == recovery_by_kind.end() ? recovery_time : it->second;
}

const std::vector<std::pair<std::string, double>>& latency_quantiles() {
  static const std::vector<std::pair<std::string, double>> qs{
      {"p50", 0.50}, {"p90", 0.90}, {"p95", 0.95}, {"p99", 0.99}, {"p999", 0.999}};
  return qs;
}

const std::vector<std::string>& availability_fault_kinds() {
  // the fault kinds of docs/faults.md (checkers/ does not depend on faults/).
  static const std::vector<std::string> kinds{
      "kill",       "pause",         "cpu-throttle", "corrupt",     "duplicate",  "blackhole-out", "partition",
      "delay",      "loss",          "corrupt-file", "disk-fill",   "disk-slow",  "disk-error",    "lose-unsynced",
      "clock-skew", "clock-drift",   "clock-stop",   "bandwidth",   "reorder"};
  return kinds;
}

Result<AvailabilityConfig> parse_availability_config(const nlohmann::json& section) {
  AvailabilityConfig out;
  if (section.is_null()) return out;
  if (!section.is_object()) return invalid_input("config availability: must be a map");
  ConfigReader c(section, kSection);
  out.window = c.duration("window", out.window, 1'000'000);
  const bool step_given = c.has("step");
  out.step = c.duration("step", out.window / 10, 1'000);
  if (!step_given) out.step = std::max<Nanos>(out.window / 10, 1'000);
  out.min_ops = c.integer("min_ops", out.min_ops, 1, 1'000'000'000);
  const std::string fail_means = c.string("fail_means", "unavailable");
  c.ignore("steady");
  c.ignore("during");
  c.ignore("recovery_time");
  if (auto done = c.finish(); !done) return done.error();
  if (fail_means != "unavailable" && fail_means != "answered")
    return invalid_input(fmt::format("config availability.fail_means: \"{}\" is neither \"unavailable\" nor \"answered\"",
                                     fail_means));
  out.fail_is_answer = fail_means == "answered";
  if (out.step > out.window)
    return invalid_input(fmt::format("config availability.step: {} is longer than the window {}",
                                     format_duration(out.step), format_duration(out.window)));
  if (auto it = section.find("steady"); it != section.end() && !it->is_null()) {
    auto bound = parse_bound(*it, std::string(kSection) + ".steady");
    if (!bound) return bound.error();
    out.steady = std::move(bound).value();
  }
  if (auto it = section.find("during"); it != section.end() && !it->is_null())
    if (auto r = parse_during(*it, out); !r) return r.error();
  if (auto it = section.find("recovery_time"); it != section.end() && !it->is_null())
    if (auto r = parse_recovery(*it, out); !r) return r.error();
  return out;
}

}  // namespace faultline::checkers
