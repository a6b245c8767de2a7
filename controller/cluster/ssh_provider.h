// The `ssh` provider: nodes are existing hosts reached over SSH (libssh2).
//
// Contract (see provider.h for the general one, ssh_config.h for the suite
// fields): for cluster id ID, up() connects to every host in parallel
// (public-key auth, known_hosts verification, retries with backoff on
// transient errors), creates REMOTE_DIR/faultline-ID/NODE/ with state/ and
// data/, uploads this build's faultline-agent there by SFTP (mode 0755) and a
// fresh random token (file `token`, mode 0600), starts the agent in its own
// session listening on the REMOTE 127.0.0.1:agent_port, and waits until it
// accepts a connection. The controller reaches each agent through a
// Forwarder: a local 127.0.0.1 port whose connections travel over the SSH
// connection (direct-tcpip channels), so nothing but SSH must be reachable.
// NodeInfo.agent is that local endpoint; NodeInfo.address is the host as
// listed; {data} is the remote data/ directory (a plain directory on the
// remote file system), {events} the agent's socket in state/.
// The state file records each host's connection parameters, remote directory
// and agent pid as they are created; down() connects again, stops the agent
// (SIGTERM, then SIGKILL after 5s) and anything whose working directory is
// inside the node directory, and removes the node directory. The forwarders
// live in the Cluster object: a cluster kept by `faultline cluster up` is not
// reachable after that process exits (down and status still work).
#pragma once

#include "controller/cluster/provider.h"

namespace faultline::controller {

class SshProvider : public Provider {
 public:
  std::string name() const override { return "ssh"; }
  Result<void> validate(const ClusterConfig& config) const override;
  Result<std::unique_ptr<Cluster>> up(const ClusterConfig& config, const ProviderOptions& options) override;
  Result<void> down(const nlohmann::json& state) override;
  nlohmann::json status(const nlohmann::json& state) override;
};

}  // namespace faultline::controller
