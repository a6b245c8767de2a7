// Provider: where a run's nodes come from (Envoy-style extension point).
//
// Contract:
//  - A Provider is registered by name with FAULTLINE_REGISTER_PROVIDER
//    ("local" here; "ssh" and "docker" plug in the same way) and created by
//    make_provider(name).
//  - validate() checks the suite's cluster section (provider options, node
//    count, subnet) and changes nothing; it runs before anything starts.
//  - up() brings up one node per name in the config, each with a running
//    faultline-agent the controller can reach, and returns a Cluster. It
//    records everything it creates in a state file as it goes (JSON, path
//    Cluster::state_file()) so that down(state) removes exactly that, even
//    after the controller died. On failure it removes what it made.
//  - Cluster is RAII: its destructor tears down (same as down(state)) unless
//    release() was called (`faultline cluster up` keeps the cluster). teardown()
//    is idempotent and returns what it could not remove.
//  - NodeInfo says how to reach each node: the agent endpoint (with its
//    token), the SUT's address, and what the SUT command placeholders expand to.
#pragma once

#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "agent/client/agent_client.h"
#include "common/result.h"
#include "common/static_registration.h"
#include "controller/suite/suite.h"

namespace faultline::controller {

struct NodeInfo {
  std::string name;
  std::string address;             // {address}: the node's address, reachable from the controller
  agent::AgentEndpoint agent;      // control endpoint (address, port, token)
  std::string events;              // {events}: where the SUT sends its events (agent's socket)
  std::string data_dir;            // {data}: the node's scratch directory (disk faults go here)
  std::string state_dir;           // the agent's --state-dir
  std::map<std::string, std::filesystem::path> logs;  // name -> file to copy into the output
};

class Cluster {
 public:
  virtual ~Cluster() = default;
  virtual const std::string& id() const = 0;
  virtual const std::vector<NodeInfo>& nodes() const = 0;
  virtual std::filesystem::path state_file() const = 0;
  virtual Result<void> teardown() = 0;
  virtual void release() = 0;  // keep the cluster when this object dies
  // Adds `key` to the cluster's state record (the state file is rewritten
  // atomically), for what a run starts beside the nodes (its clients).
  virtual Result<void> remember(const std::string& key, const nlohmann::json& value) = 0;
};

struct ProviderOptions {
  std::string cluster_id;                // empty: generate one
  std::filesystem::path bin_dir;         // where faultline-agent lives (same build)
  std::function<bool()> interrupted;     // polled during long steps; may be empty
  std::function<void(const std::string&)> notice;  // tells the user a choice made for them; may be empty
  // Every fault kind the run can inject (plus "data-fs" when the SUT's data
  // dir is a faultable FUSE mount), so a provider that can see a node's
  // limits (a container's capabilities) refuses up front, naming the fix.
  std::vector<std::string> fault_kinds;
};

class Provider {
 public:
  virtual ~Provider() = default;
  virtual std::string name() const = 0;
  virtual Result<void> validate(const ClusterConfig& config) const = 0;
  virtual Result<std::unique_ptr<Cluster>> up(const ClusterConfig& config, const ProviderOptions& options) = 0;
  // Removes exactly what a state file records; idempotent.
  virtual Result<void> down(const nlohmann::json& state) = 0;
  // One object describing each recorded resource and whether it still exists.
  virtual nlohmann::json status(const nlohmann::json& state) = 0;
};

using ProviderFactory = std::function<std::unique_ptr<Provider>()>;
void register_provider(const std::string& name, ProviderFactory factory);
std::unique_ptr<Provider> make_provider(const std::string& name);  // nullptr if unknown
std::vector<std::string> provider_names();

// Where state files live: $FAULTLINE_STATE_DIR or /run/faultline/clusters.
std::filesystem::path cluster_state_dir();
Result<nlohmann::json> read_cluster_state(const std::string& id_or_path);
std::vector<std::filesystem::path> list_cluster_states();

struct ProviderRegistration {
  ProviderRegistration(const std::string& name, ProviderFactory factory) { register_provider(name, std::move(factory)); }
};
#define FAULTLINE_REGISTER_PROVIDER(name, Class)                                  \
  FAULTLINE_STATIC_REGISTRATION(::faultline::controller::ProviderRegistration, name, \
                                [] { return std::make_unique<Class>(); })

}  // namespace faultline::controller
