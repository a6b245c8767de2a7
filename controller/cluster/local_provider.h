// The `local` provider: a cluster of network namespaces on this machine.
//
// Contract (see provider.h for the general one): needs root. For cluster id
// ID (6 hex digits unless given) and nodes n1..nN it creates
//  - bridge `flbID` (bridge netfilter off for it, so the host firewall's
//    FORWARD policy does not apply to cluster traffic) holding the subnet's
//    last usable address, the controller's side;
//  - per node: namespace `faultline-ID-NODE`, a veth pair `flIDhK` (host,
//    on the bridge) / eth0 (inside) with the node's address (subnet host K),
//    lo up, default route via the bridge; a work directory
//    /run/faultline/ID/NODE (ID's folder is a tmpfs of its own) with state/ (the agent's --state-dir and token)
//    and data/ (a tmpfs of options.data_size, default 64MiB: {data}, where
//    disk faults fill); and faultline-agent listening on ADDRESS:agent_port
//    (options.agent_port, default 7070) with a fresh random token.
// It refuses a subnet already present on a host interface (another cluster).
// Everything is recorded in the state file as it is created; down() stops
// the recorded agents (SIGTERM to all at once: each heals its faults and
// stops its SUT; SIGKILL to any still running after 5 s), kills anything
// left in the namespaces, unmounts, deletes the veths, namespaces and the
// bridge, then removes the work and state files. Each step handles every
// node at once, so down() takes about as long for 50 nodes as for 5.
#pragma once

#include "controller/cluster/provider.h"

namespace faultline::controller {

class LocalProvider : public Provider {
 public:
  std::string name() const override { return "local"; }
  Result<void> validate(const ClusterConfig& config) const override;
  Result<std::unique_ptr<Cluster>> up(const ClusterConfig& config, const ProviderOptions& options) override;
  Result<void> down(const nlohmann::json& state) override;
  nlohmann::json status(const nlohmann::json& state) override;
};

}  // namespace faultline::controller
