// The `docker` provider: nodes are the services of a running docker compose
// project (docker/compose.yaml), each already running faultline-agent.
//
// Contract (see provider.h for the general one): up() creates nothing. It
// finds each node named in the suite (n1..nN, or the names listed) and the
// address its agent listens on, in this order:
//  1. $FAULTLINE_DOCKER_NODES = "n1=ADDR,n2=ADDR,..." (an explicit list, for
//     a controller that cannot reach the engine);
//  2. otherwise through the Docker Engine API ($DOCKER_HOST unix socket, else
//     /var/run/docker.sock; a controller container needs it mounted): the
//     running container of compose project PROJECT labelled
//     io.faultline.node=NODE, else of the service cluster.options.services
//     maps NODE to, else of the service NODE (compose_nodes.h), and its
//     address on cluster.options.network (or its only network). PROJECT is
//     cluster.options.project, else $COMPOSE_PROJECT_NAME, else "docker".
//     Before waiting for any agent, it reads each container's capabilities
//     and refuses (kInvalidInput, nothing injected) when one lacks what the
//     run's fault kinds need (ProviderOptions::fault_kinds), naming the
//     container, the capability and the compose lines that add it.
// The agents' shared token is read from cluster.options.token_file, else
// $FAULTLINE_AGENT_TOKEN_FILE, else /run/secrets/agent_token, else
// docker/agent-token (relative to the working directory; the compose file's
// default secret, made by docker/agent-token.sh, never committed). Options:
// project, network, services, agent_port (default 7070), token_file,
// state_dir and data_dir (the paths inside the node containers, defaults
// /var/lib/faultline/state and /var/lib/faultline/data). up() waits (up to
// 60s) until every agent accepts TCP connections and fails naming the node
// otherwise. The state file records the project and nodes; down() only
// removes that file: the containers belong to compose (`docker compose
// down -v` removes them). cluster.subnet is not used (the compose network
// has its own).
#pragma once

#include "controller/cluster/provider.h"

namespace faultline::controller {

class DockerProvider : public Provider {
 public:
  std::string name() const override { return "docker"; }
  Result<void> validate(const ClusterConfig& config) const override;
  Result<std::unique_ptr<Cluster>> up(const ClusterConfig& config, const ProviderOptions& options) override;
  Result<void> down(const nlohmann::json& state) override;
  nlohmann::json status(const nlohmann::json& state) override;
};

// "n1=10.0.0.2,n2=10.0.0.3" -> {n1: 10.0.0.2, n2: 10.0.0.3}; errors name the bad entry.
Result<std::map<std::string, std::string>> parse_docker_nodes(const std::string& text);

}  // namespace faultline::controller
