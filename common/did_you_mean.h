// did_you_mean: the known name closest to a misspelt one, for error messages
// ("unknown field \"jiter\"; did you mean \"jitter\"?").
//
// Contract: closest_name() returns the candidate with the smallest edit
// distance (Levenshtein: insertions, deletions, substitutions) to `name`,
// when that distance is at most `max_distance` and smaller than the name
// itself; else "". Ties go to the first candidate in iteration order.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace faultline {

std::size_t edit_distance(std::string_view a, std::string_view b);

template <typename Names>
std::string closest_name(std::string_view name, const Names& candidates, std::size_t max_distance = 2) {
  std::string best;
  std::size_t best_distance = max_distance + 1;
  for (const auto& candidate : candidates) {
    std::size_t d = edit_distance(name, candidate);
    if (d < best_distance && d < name.size()) {
      best_distance = d;
      best = std::string(candidate);
    }
  }
  return best;
}

}  // namespace faultline
