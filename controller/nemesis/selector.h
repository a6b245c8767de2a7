// Target selection: which nodes a fault hits, Jepsen-style.
//
// Contract: select_targets() resolves a selector against the cluster's nodes
// with the given Rng: `one` a random node, `minority` a random ⌊(n-1)/2⌋ nodes
// (at least one), `majority` a random ⌊n/2⌋+1, `all` every node, a list those
// nodes. The result is in cluster order, never empty, deterministic for a
// given Rng state.
#pragma once

#include <string>
#include <vector>

#include "controller/nemesis/rng.h"
#include "controller/suite/suite.h"

namespace faultline::controller {

std::vector<std::string> select_targets(const TargetSelector& selector, const std::vector<std::string>& nodes, Rng& rng);

}  // namespace faultline::controller
