// Partitions: from a mode to a grudge, and from a grudge to per-node specs.
//
// Contract: compute_grudge() turns a partition mode over the chosen nodes
// into a grudge: node -> the nodes whose packets it drops. The modes below
// make symmetric grudges (a drops b iff b drops a) unless the spec's
// `direction` says otherwise; an explicit grudge is taken as written, one-way
// where it says so. A grudge never contains a node itself and lists nodes in
// cluster order. Modes (Jepsen's names):
//  - isolate: each target is cut off from every other node of the cluster;
//    with direction `in` only what reaches it is cut (each target drops
//    every other node: it sends but hears nobody), with `out` only what
//    leaves it (every other node drops the targets: they hear but are not
//    heard); `both` (the default) cuts both. Other modes refuse a direction
//    other than both;
//  - halves: the targets, shuffled, split into two halves (first has ⌊n/2⌋)
//    that drop each other; non-targets are untouched;
//  - majority-ring: targets, shuffled, on a ring; each sees itself and its
//    nearest neighbours, a majority, but no two see the same majority;
//  - bridge: two halves plus one bridge node that sees both sides;
//  - grudge: the explicit "grudge" map of the spec, directional as written.
// partition_specs() gives each node with a non-empty grudge its own spec
// {"kind":"partition","peers":[addresses...]} (nodes with nothing to drop get
// none): when every listed peer drops this node too, the spec cuts both
// directions (as each end always did); otherwise it carries
// "direction":"in" (drop what those peers send, still send to them), so a
// one-way grudge stays one-way on the wire. The suite spec's
// keep_established, ports and protocol are passed on to every node's spec.
#pragma once

#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/result.h"
#include "controller/nemesis/rng.h"

namespace faultline::controller {

using Grudge = std::map<std::string, std::vector<std::string>>;

Result<Grudge> compute_grudge(const nlohmann::json& spec, const std::vector<std::string>& targets,
                              const std::vector<std::string>& nodes, Rng& rng);

std::map<std::string, nlohmann::json> partition_specs(const Grudge& grudge,
                                                      const std::map<std::string, std::string>& addresses,
                                                      const nlohmann::json& suite_spec = nlohmann::json::object());

}  // namespace faultline::controller
