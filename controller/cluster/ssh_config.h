// SshClusterOptions: the `ssh` provider's part of a suite (cluster.options).
//
// Contract: parse_ssh_options() reads ClusterConfig::options for the ssh
// provider and checks every field without touching the network:
//   cluster:
//     provider: ssh
//     nodes: [db1, db2]                  # or a count (n1..nN)
//     options:
//       hosts:                           # one per node, required
//         - {host: 10.0.0.5, port: 22, user: admin, identity: ~/.ssh/id_ecdsa, name: db1}
//       user: root                       # default for hosts without one
//       identity: ~/.ssh/id_ed25519      # default private key (public key: IDENTITY.pub if present)
//       known_hosts: ~/.ssh/known_hosts  # OpenSSH format
//       accept_unknown_host_keys: false  # true: an UNKNOWN key is added to known_hosts;
//                                        # a CHANGED key is always refused
//       agent_port: 7070                 # the agent listens on the remote 127.0.0.1:PORT
//       remote_dir: /tmp                 # uploads go to REMOTE_DIR/faultline-<id>/<node>/
//       connect_timeout: 10s             # per attempt
//       connect_attempts: 5              # retries with exponential backoff on transient errors
// Host i without `name` is node nodes[i]; a `name` must be one of the nodes,
// each node exactly once. `~/` expands to $HOME. Errors are kInvalidInput with
// the field path ("cluster.options.hosts[1].port: ...").
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/result.h"
#include "common/units.h"
#include "controller/suite/suite.h"

namespace faultline::controller {

struct SshHost {
  std::string name;        // the node's name
  std::string address;     // as listed: {address} and the SSH destination
  std::uint16_t port = 22;
  std::string user;
  std::string identity;    // private key file
  std::string public_key;  // IDENTITY.pub when it exists, else empty (derived by libssh2)
};

struct SshClusterOptions {
  std::vector<SshHost> hosts;  // in the order of ClusterConfig::nodes
  std::string known_hosts;
  bool accept_unknown_host_keys = false;
  std::uint16_t agent_port = 7070;
  std::string remote_dir = "/tmp";
  Nanos connect_timeout = 10'000'000'000;
  int connect_attempts = 5;
};

Result<SshClusterOptions> parse_ssh_options(const ClusterConfig& config);

// "~/x" -> "$HOME/x"; anything else unchanged.
std::string expand_home(const std::string& path);

}  // namespace faultline::controller
