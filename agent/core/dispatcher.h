// Dispatcher: executes one authenticated request of the agent protocol
// (agent/PROTOCOL.md) and returns its response object.
//
// Contract: handle() never throws and never trusts its input: a body without
// a valid "id" (unsigned integer or string) or "op", an unknown op, or
// ill-typed arguments gives an error response naming the field, and changes
// nothing. Ops: hello, apply, heal, heal_all, list, renew, sut_start,
// sut_stop, sut_restart, sut_status, exec, clock, subscribe_events, stats.
// exec runs a command (argv, no shell) with a timeout in the agent's
// namespaces — how the controller runs a suite's ready and teardown
// commands inside a node — unless AgentInfo.allow_exec is false. Leases
// belong to ConnectionContext.id. subscribe_events uses
// ConnectionContext.send_event, which must not block.
#pragma once

#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "agent/core/data_fs_lifecycle.h"
#include "agent/core/event_hub.h"
#include "agent/core/fault_manager.h"
#include "agent/core/supervisor.h"

namespace faultline::agent {

struct ConnectionContext {
  std::uint64_t id = 0;
  EventHub::Callback send_event;  // empty: this connection cannot subscribe
};

struct AgentInfo {
  std::string version;
  std::string hostname;
  std::string events_socket;
  std::string state_dir;
  bool allow_exec = true;  // the "exec" op (commands inside the node); --no-exec turns it off
};

class Dispatcher {
 public:
  Dispatcher(FaultManager& faults, Supervisor* supervisor, EventHub& events, AgentInfo info)
      : faults_(faults), supervisor_(supervisor), events_(events), info_(std::move(info)) {}

  nlohmann::json handle(const nlohmann::json& body, const ConnectionContext& connection);
  // Whether handling `body` may wait long: for a mechanism, the supervisor or
  // the capability probe (apply, heal, heal_all, hello, sut_*). The others
  // (renew, list, clock, stats, subscribe_events, anything malformed or
  // unknown) only take short locks and never wait for those.
  static bool may_block(const nlohmann::json& body);
  // Where sut_start mounts a SutSpec's data_fs (sut_stop unmounts it); without
  // one, a SUT asking for a data fs is refused.
  void set_data_fs(DataFsControl* data_fs) { data_fs_ = data_fs; }
  // The probe result, computed once and cached (hello returns it).
  const nlohmann::json& capabilities();

 private:
  Result<nlohmann::json> run(const std::string& op, const nlohmann::json& body, const ConnectionContext& connection);
  Result<nlohmann::json> exec(const nlohmann::json& body);

  FaultManager& faults_;
  Supervisor* supervisor_;
  DataFsControl* data_fs_ = nullptr;
  EventHub& events_;
  AgentInfo info_;
  std::once_flag probe_once_;
  nlohmann::json capabilities_;
};

}  // namespace faultline::agent
