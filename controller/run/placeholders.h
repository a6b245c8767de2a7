// Placeholders in SUT commands, client commands and fault specs.
//
// Contract: expand() replaces every {name} whose name is in the map with its
// value and leaves other braces untouched (so JSON or shell text passes
// through). node_placeholders() gives a node's map: {node} {address} {port}
// {peers} (other node names, comma-separated) {peer_addresses} {nodes}
// {addresses} {events} {data} {index} (1-based). The runner adds
// {suite_dir} (the suite file's directory, absolute). expand_json() applies
// expand() to every string inside a JSON value.
#pragma once

#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "controller/cluster/provider.h"

namespace faultline::controller {

using Placeholders = std::map<std::string, std::string>;

std::string expand(const std::string& text, const Placeholders& values);
nlohmann::json expand_json(const nlohmann::json& value, const Placeholders& values);
Placeholders node_placeholders(const std::vector<NodeInfo>& nodes, std::size_t index, std::uint16_t port);
Placeholders cluster_placeholders(const std::vector<NodeInfo>& nodes, std::uint16_t port);

}  // namespace faultline::controller
