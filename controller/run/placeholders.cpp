#include "controller/run/placeholders.h"

#include <algorithm>

namespace faultline::controller {
namespace {

std::string join_addresses(const std::vector<NodeInfo>& nodes, std::uint16_t port, std::size_t skip = SIZE_MAX) {
  std::string out;
  for (std::size_t i = 0; i < nodes.size(); ++i) {
    if (i == skip) continue;
    out += (out.empty() ? "" : ",") + nodes[i].address + (port ? ":" + std::to_string(port) : "");
  }
  return out;
}

// The node's own values, without lists (lists are built from these).
Placeholders own_values(const PlaceholderContext& context, const Placeholders& cluster, std::size_t index) {
  Placeholders values = cluster;
  const auto& nodes = context.nodes;
  const auto& node = nodes[index];
  std::string peers;
  for (std::size_t i = 0; i < nodes.size(); ++i)
    if (i != index) peers += (peers.empty() ? "" : ",") + nodes[i].name;
  values["node"] = node.name;
  values["address"] = node.address;
  values["peers"] = peers;
  values["peer_addresses"] = join_addresses(nodes, context.suite.sut.port, index);
  for (const auto& [name, port] : context.suite.sut.ports)
    values["peer_addresses." + name] = join_addresses(nodes, port, index);
  values["events"] = node.events;
  values["data"] = node.data_dir;
  values["index"] = std::to_string(index + 1);
  return values;
}

}  // namespace

Placeholders cluster_values(const PlaceholderContext& context) {
  const auto& suite = context.suite;
  const auto& nodes = context.nodes;
  Placeholders values;
  std::string names;
  for (const auto& n : nodes) names += (names.empty() ? "" : ",") + n.name;
  values["nodes"] = names;
  values["addresses"] = join_addresses(nodes, suite.sut.port);
  values["port"] = suite.sut.port ? std::to_string(suite.sut.port) : "";
  for (const auto& [name, port] : suite.sut.ports) {
    values["ports." + name] = std::to_string(port);
    values["addresses." + name] = join_addresses(nodes, port);
  }
  values["suite_dir"] = context.suite_dir;
  values["seed"] = std::to_string(suite.nemesis.seed);
  values["concurrency"] = std::to_string(suite.client ? suite.client->concurrency : 0);
  Placeholders with_lists = values;
  for (const auto& [name, list] : suite.sut.lists) {
    std::string joined;
    for (std::size_t i = 0; i < nodes.size(); ++i)
      joined += (i ? list.separator : "") + expand(list.item, own_values(context, values, i));
    with_lists["lists." + name] = joined;
  }
  return with_lists;
}

Placeholders node_values(const PlaceholderContext& context, std::size_t index) {
  return own_values(context, cluster_values(context), index);
}

Placeholders client_values(const PlaceholderContext& context, int process) {
  Placeholders values = cluster_values(context);
  const auto& nodes = context.nodes;
  values["process"] = std::to_string(process);
  values["client_index"] = std::to_string(process + 1);
  if (nodes.empty()) return values;
  const auto& bound = context.suite.client ? context.suite.client->nodes : std::vector<std::string>{};
  std::size_t node = static_cast<std::size_t>(process) % nodes.size();
  if (!bound.empty()) {
    const auto& name = bound[static_cast<std::size_t>(process) % bound.size()];
    auto it = std::find_if(nodes.begin(), nodes.end(), [&](const NodeInfo& n) { return n.name == name; });
    if (it != nodes.end()) node = static_cast<std::size_t>(it - nodes.begin());
  }
  values["client_node"] = nodes[node].name;
  values["client_address"] = nodes[node].address;
  return values;
}

}  // namespace faultline::controller
