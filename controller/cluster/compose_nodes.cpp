#include "controller/cluster/compose_nodes.h"

#include <algorithm>
#include <set>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "controller/cluster/docker_api.h"

namespace faultline::controller {
namespace {

std::string label_of(const nlohmann::json& container, const std::string& key) {
  const auto labels = container.value("Labels", nlohmann::json::object());
  return labels.is_object() ? labels.value(key, std::string()) : std::string();
}

std::string name_of(const nlohmann::json& container) {
  auto names = container.value("Names", nlohmann::json::array());
  std::string name = names.empty() ? container.value("Id", std::string()).substr(0, 12) : names[0].get<std::string>();
  if (!name.empty() && name[0] == '/') name.erase(0, 1);
  return name;
}

bool has_cap(const nlohmann::json& caps, const std::string& cap) {
  if (!caps.is_array()) return false;
  for (const auto& c : caps)
    if (c.is_string() && (c == cap || c == "CAP_" + cap || c == "ALL" || c == "CAP_ALL")) return true;
  return false;
}

bool has_device(const nlohmann::json& devices, const std::string& path) {
  if (!devices.is_array()) return false;
  for (const auto& d : devices)
    if (d.is_object() && d.value("PathInContainer", d.value("PathOnHost", std::string())) == path) return true;
  return false;
}

const std::set<std::string>& network_kinds() {
  static const std::set<std::string> kinds{"partition", "delay", "loss",    "duplicate", "corrupt",
                                           "reorder",   "bandwidth", "blackhole-out"};
  return kinds;
}

const std::set<std::string>& fuse_kinds() {
  static const std::set<std::string> kinds{"disk-slow", "disk-error", "lose-unsynced", "data-fs"};
  return kinds;
}

}  // namespace

Result<ComposeNode> pick_compose_node(const nlohmann::json& containers, const ComposeQuery& query) {
  const std::string service = query.service.empty() ? query.node : query.service;
  std::vector<const nlohmann::json*> labelled, by_service;
  if (containers.is_array())
    for (const auto& c : containers) {
      if (label_of(c, "com.docker.compose.project") != query.project) continue;
      if (label_of(c, kNodeLabel) == query.node) labelled.push_back(&c);
      else if (label_of(c, "com.docker.compose.service") == service && label_of(c, kNodeLabel).empty())
        by_service.push_back(&c);
    }
  const auto& found = labelled.empty() ? by_service : labelled;
  if (found.empty())
    return unavailable(fmt::format(
        "node {}: no running container in compose project '{}' with the label {}={} or of service '{}' (label the "
        "service `labels: {{{}: {}}}`, map it with cluster.options.services, or set cluster.options.project; is the "
        "project up?)",
        query.node, query.project, kNodeLabel, query.node, service, kNodeLabel, query.node));
  if (found.size() > 1)
    return invalid_input(fmt::format("node {}: {} running containers match in compose project '{}' ({}, ...): one "
                                     "container per node (scale the service to 1)",
                                     query.node, found.size(), query.project, name_of(*found[0])));
  const auto& c = *found[0];
  ComposeNode node{c.value("Id", std::string()), name_of(c), label_of(c, "com.docker.compose.service"), ""};
  const auto networks = c.value("NetworkSettings", nlohmann::json::object()).value("Networks", nlohmann::json::object());
  std::vector<std::string> names;
  for (const auto& [name, _] : networks.items()) names.push_back(name);
  std::string chosen;
  if (!query.network.empty()) {
    for (const auto& name : names)
      if (name == query.network || name == query.project + "_" + query.network) chosen = name;
    if (chosen.empty())
      return invalid_input(fmt::format("node {}: container {} is not on network '{}' (it is on: {})", query.node,
                                       node.container, query.network, fmt::join(names, ", ")));
  } else if (names.size() == 1) {
    chosen = names[0];
  } else {
    return invalid_input(fmt::format("node {}: container {} is on {} networks ({}): name the one the controller "
                                     "reaches it on with cluster.options.network",
                                     query.node, node.container, names.size(), fmt::join(names, ", ")));
  }
  node.address = networks[chosen].value("IPAddress", std::string());
  if (node.address.empty())
    return unavailable(fmt::format("node {}: container {} has no IPv4 address on network {}", query.node,
                                   node.container, chosen));
  return node;
}

std::vector<std::string> node_limits(const nlohmann::json& inspect, const ComposeNode& node,
                                     const std::vector<std::string>& fault_kinds) {
  const auto host = inspect.value("HostConfig", nlohmann::json::object());
  if (host.value("Privileged", false)) return {};
  const auto caps = host.value("CapAdd", nlohmann::json::array());
  std::vector<std::string> net, fuse, limits;
  for (const auto& kind : fault_kinds) {
    if (network_kinds().count(kind) && std::find(net.begin(), net.end(), kind) == net.end()) net.push_back(kind);
    if (fuse_kinds().count(kind) && std::find(fuse.begin(), fuse.end(), kind) == fuse.end()) fuse.push_back(kind);
  }
  if (!net.empty() && !has_cap(caps, "NET_ADMIN"))
    limits.push_back(fmt::format("container {} (service {}) lacks the capability NET_ADMIN, which the fault kinds {} "
                                 "need: add `cap_add: [NET_ADMIN]` to service {}",
                                 node.container, node.service, fmt::join(net, ", "), node.service));
  if (!fuse.empty()) {
    std::vector<std::string> missing;
    if (!has_device(host.value("Devices", nlohmann::json::array()), "/dev/fuse")) missing.push_back("the device /dev/fuse");
    if (!has_cap(caps, "SYS_ADMIN")) missing.push_back("the capability SYS_ADMIN");
    if (!missing.empty())
      limits.push_back(fmt::format("container {} (service {}) lacks {}, which {} need(s) (a FUSE mount): add "
                                   "`devices: [/dev/fuse]` and `cap_add: [SYS_ADMIN]` to service {} (where AppArmor "
                                   "confines containers, also `security_opt: [apparmor:unconfined]`)",
                                   node.container, node.service, fmt::join(missing, " and "), fmt::join(fuse, ", "),
                                   node.service));
  }
  return limits;
}

Result<ComposeNode> find_compose_node(const ComposeQuery& query) {
  const nlohmann::json filters{{"label", {"com.docker.compose.project=" + query.project}}};
  auto containers = docker_get("/containers/json?filters=" + url_encode(filters.dump()));
  if (!containers) return Error{containers.error().code, fmt::format("node {}: {}", query.node, containers.error().message)};
  return pick_compose_node(*containers, query);
}

Result<std::vector<std::string>> find_node_limits(const ComposeNode& node, const std::vector<std::string>& fault_kinds) {
  auto inspect = docker_get("/containers/" + node.id + "/json");
  if (!inspect) return inspect.error();
  return node_limits(*inspect, node, fault_kinds);
}

}  // namespace faultline::controller
