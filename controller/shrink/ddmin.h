// ddmin: Zeller and Hildebrandt's delta debugging, minimizing a failing set.
//
// Contract: ddmin(n, fails) starts from the items 0..n-1, which are taken to
// fail, and returns a subset (indices, ascending) that still fails and is
// 1-minimal when the search ran to its end: removing any single item makes
// it pass. It splits the current set into `granularity` chunks (starting at
// 2), tries each chunk, then each complement; the first that fails becomes
// the current set; when none does it doubles the granularity, and stops when
// the chunks are single items. `fails` answers true (fails), false (passes)
// or nullopt (stop now: budget spent, interrupted); on stop the smallest
// failing set found so far is returned. No subset is asked twice, and never
// the full starting set nor the empty set.
#pragma once

#include <cstddef>
#include <functional>
#include <optional>
#include <vector>

namespace faultline::controller::shrink {

using Subset = std::vector<std::size_t>;
using SubsetTest = std::function<std::optional<bool>(const Subset&)>;

Subset ddmin(std::size_t n, const SubsetTest& fails);

}  // namespace faultline::controller::shrink
