// The values of a suite's placeholders for one run (names and syntax:
// controller/suite/placeholders.h).
//
// Contract: cluster_values() gives what every scope has: {nodes} {addresses}
// (address[:port] of every node, comma-separated) {port} {ports.NAME}
// {addresses.NAME} {lists.NAME} {suite_dir} {seed} {concurrency}.
// node_values() adds, for node `index` of `nodes`: {node} {address} {peers}
// {peer_addresses} {peer_addresses.NAME} {events} {data} {index} (1-based).
// client_values() adds, for client `process`: {process} {client_index}
// (1-based) {client_node} {client_address} — the node client.nodes binds it
// to (round robin over every node by default).
#pragma once

#include <string>
#include <vector>

#include "controller/cluster/provider.h"
#include "controller/suite/placeholders.h"
#include "controller/suite/suite.h"

namespace faultline::controller {

struct PlaceholderContext {
  const Suite& suite;
  const std::vector<NodeInfo>& nodes;
  std::string suite_dir;
};

Placeholders cluster_values(const PlaceholderContext& context);
Placeholders node_values(const PlaceholderContext& context, std::size_t index);
Placeholders client_values(const PlaceholderContext& context, int process);

}  // namespace faultline::controller
