// Looking profiles up by name, for breaker_profiles.h and retry_profiles.h.
//
// Contract: find_profile() returns the profile named `name`, or kInvalidInput
// "KIND: unknown profile "NAME"; did you mean "X"? (profiles: A, B, ...)"
// (the suggestion only when a name is close). profile_names() lists the
// names in table order, comma-separated. with_knob_names() rewrites a config
// section's library names for knobs (the profile's aliases) to the
// reference's; kInvalidInput when both spellings of one knob are given.
#pragma once

#include <string>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "common/did_you_mean.h"
#include "common/result.h"

namespace faultline::reference {

template <typename Profile>
std::string profile_names(const std::vector<Profile>& profiles) {
  std::string names;
  for (const auto& p : profiles) names += names.empty() ? p.name : ", " + p.name;
  return names;
}

template <typename Profile>
Result<Profile> find_profile(const std::vector<Profile>& profiles, const std::string& name, const char* kind) {
  std::vector<std::string> known;
  for (const auto& p : profiles) {
    if (p.name == name) return p;
    known.push_back(p.name);
  }
  const std::string guess = closest_name(name, known);
  return invalid_input(fmt::format("{}: unknown profile \"{}\"{} (profiles: {})", kind, name,
                                   guess.empty() ? "" : "; did you mean \"" + guess + "\"?", profile_names(profiles)));
}

template <typename Profile>
Result<nlohmann::json> with_knob_names(const Profile& profile, nlohmann::json section, const char* kind) {
  for (const auto& [alias, knob] : profile.aliases) {
    auto it = section.find(alias);
    if (it == section.end()) continue;
    if (section.contains(knob))
      return invalid_input(fmt::format("config {}.{}: given twice, also as \"{}\" ({}'s name for it)", kind, knob, alias,
                                       profile.name));
    section[knob] = *it;
    section.erase(alias);
  }
  return section;
}

}  // namespace faultline::reference
