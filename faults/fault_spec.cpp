#include "faults/fault_spec.h"

#include <algorithm>
#include <fmt/format.h>

namespace faultline::faults {

const std::vector<std::string>& all_fault_kinds() {
  static const std::vector<std::string> kinds = {
      "kill",      "pause",     "cpu-throttle", "corrupt",      "duplicate",  "blackhole-out",
      "partition", "delay",     "loss",         "corrupt-file", "disk-fill",  "disk-slow",
      "disk-error", "lose-unsynced", "clock-skew", "clock-drift", "clock-stop", "bandwidth",   "reorder"};
  return kinds;
}

bool is_known_fault_kind(std::string_view kind) {
  const auto& kinds = all_fault_kinds();
  return std::find(kinds.begin(), kinds.end(), kind) != kinds.end();
}

Result<FaultSpec> FaultSpec::parse(const nlohmann::json& object) {
  if (!object.is_object()) return invalid_input("fault spec must be a JSON object");
  auto kind_it = object.find("kind");
  if (kind_it == object.end() || !kind_it->is_string())
    return invalid_input("fault spec needs a string field \"kind\"");
  FaultSpec spec;
  spec.kind = kind_it->get<std::string>();
  if (!is_known_fault_kind(spec.kind))
    return invalid_input(fmt::format("unknown fault kind '{}'", spec.kind));
  spec.params = object;
  if (auto d = object.find("duration"); d != object.end()) {
    if (!d->is_string()) return invalid_input("fault field \"duration\" must be a string such as \"10s\"");
    auto parsed = parse_duration(d->get<std::string>());
    if (!parsed) return parsed.error().with_context("fault field \"duration\"");
    spec.duration = *parsed;
  }
  if (auto dst = object.find("destinations"); dst != object.end()) {
    if (!dst->is_array()) return invalid_input("fault field \"destinations\" must be an array of addresses");
    for (const auto& d : *dst)
      if (!d.is_string()) return invalid_input("fault field \"destinations\" must be an array of addresses");
  }
  if (auto itf = object.find("interface"); itf != object.end() && !itf->is_string())
    return invalid_input("fault field \"interface\" must be a string");
  return spec;
}

Result<FaultSpec> FaultSpec::parse_text(std::string_view json_text) {
  auto object = nlohmann::json::parse(json_text, nullptr, /*allow_exceptions=*/false);
  if (object.is_discarded()) return invalid_input("fault spec is not valid JSON");
  return parse(object);
}

}  // namespace faultline::faults
