// Finding a suite's nodes among the containers of any docker compose project.
//
// Contract: a node NAME is the running container of the project that carries
// the label io.faultline.node=NAME, else the one whose compose service is
// the service the suite maps NAME to (cluster.options.services), else the
// service called NAME. Its address is its IPv4 address on the named network
// (cluster.options.network, either compose's short name or the full
// PROJECT_NAME one), or on its only network. node_limits() reads a
// container's inspect record and says, per fault kind the run can inject,
// what the container lacks (NET_ADMIN for network faults; /dev/fuse and
// SYS_ADMIN for the FUSE data fs and its kinds) with the compose lines that
// fix it. The pure functions take the engine's JSON (GET /containers/json,
// GET /containers/ID/json) so they are tested without an engine.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/result.h"

namespace faultline::controller {

inline constexpr const char* kNodeLabel = "io.faultline.node";

struct ComposeQuery {
  std::string project;
  std::string node;     // the suite's node name
  std::string service;  // the service it maps to (defaults to node)
  std::string network;  // empty: the container's only network
};

struct ComposeNode {
  std::string id;
  std::string container;  // its name
  std::string service;
  std::string address;
};

Result<ComposeNode> pick_compose_node(const nlohmann::json& containers, const ComposeQuery& query);
// One line per missing capability: "container X (service S) lacks NET_ADMIN,
// which fault kinds partition, delay need: add `cap_add: [NET_ADMIN]` to service S".
std::vector<std::string> node_limits(const nlohmann::json& inspect, const ComposeNode& node,
                                     const std::vector<std::string>& fault_kinds);
// Both steps against the engine (docker_api.h).
Result<ComposeNode> find_compose_node(const ComposeQuery& query);
Result<std::vector<std::string>> find_node_limits(const ComposeNode& node, const std::vector<std::string>& fault_kinds);

}  // namespace faultline::controller
