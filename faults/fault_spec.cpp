#include "faults/fault_spec.h"

#include "faults/spec/validate.h"

namespace faultline::faults {

const std::vector<std::string>& all_fault_kinds() {
  static const std::vector<std::string> kinds = [] {
    std::vector<std::string> out;
    for (const auto& k : spec::all_kinds()) out.push_back(k.kind);
    return out;
  }();
  return kinds;
}

bool is_known_fault_kind(std::string_view kind) { return spec::find_kind(std::string(kind)) != nullptr; }

Result<FaultSpec> FaultSpec::parse(const nlohmann::json& object) {
  if (auto problem = spec::check(object, spec::Scope::kAgent)) return invalid_input(spec::message(object, *problem));
  FaultSpec spec;
  spec.kind = object.at("kind").get<std::string>();
  spec.params = object;
  if (auto d = object.find("duration"); d != object.end() && d->is_string()) spec.duration = *parse_duration(d->get<std::string>());
  return spec;
}

Result<FaultSpec> FaultSpec::parse_text(std::string_view json_text) {
  auto object = nlohmann::json::parse(json_text, nullptr, /*allow_exceptions=*/false);
  if (object.is_discarded()) return invalid_input("fault spec is not valid JSON");
  return parse(object);
}

}  // namespace faultline::faults
