// AgentClient: the controller's side of one connection to a faultline-agent.
//
// Contract:
//  - connect() opens one persistent, authenticated connection (protocol in
//    agent/PROTOCOL.md). Every call is a request with an id; calls are
//    thread-safe and may be in flight together from several threads; each
//    blocks until its response or `timeout` and returns an Error value
//    (never throws).
//  - Faults applied through a connection carry a lease (default 30s). The
//    client does not renew by itself: the caller calls renew() (the
//    controller renews every lease/3). If renewals stop, the agent heals.
//  - Events the SUT reports to the agent arrive through the callback given to
//    subscribe_events(), in arrival order, each stamped by the agent with its
//    CLOCK_MONOTONIC (agent_mono_ns). The callback runs on the client's I/O
//    thread; it must not block.
//  - clock_sample() is one round trip for Cristian's method: the controller's
//    monotonic time at send and receive, and the agent's monotonic time when
//    it answered.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "agent/protocol/types.h"
#include "common/result.h"
#include "common/units.h"
#include "faults/fault_spec.h"

namespace faultline::agent {

struct AgentEndpoint {
  std::string host;        // address or name
  std::uint16_t port = 0;
  std::string token;       // the shared secret (contents of the token file)
};

// What `hello` returns: version and the capability probe (as --probe --json).
struct AgentHello {
  std::string version;
  std::string hostname;
  nlohmann::json capabilities;  // {"kind": {"available": bool, "mechanism": str, "reason": str}, ...}
};

struct ClockSample {
  Nanos controller_send = 0;     // controller CLOCK_MONOTONIC before sending
  Nanos agent_mono = 0;          // agent CLOCK_MONOTONIC when answering
  Nanos controller_receive = 0;  // controller CLOCK_MONOTONIC after the answer
};

struct AgentEvent {
  Nanos agent_mono = 0;    // when the agent received it
  nlohmann::json event;    // as the SUT sent it (docs/events.md line without "time")
};

class AgentClient {
 public:
  virtual ~AgentClient() = default;

  static Result<std::unique_ptr<AgentClient>> connect(const AgentEndpoint& endpoint,
                                                      Nanos timeout = 5'000'000'000);

  virtual Result<AgentHello> hello() = 0;
  // Returns the fault id. `lease` defaults to 30s on the agent.
  virtual Result<AppliedFault> apply(const faults::FaultSpec& spec, std::optional<Nanos> lease = {}) = 0;
  virtual Result<void> heal(const std::string& fault_id) = 0;
  virtual Result<void> heal_all() = 0;
  virtual Result<nlohmann::json> list() = 0;   // [{"id","kind","spec","mechanism","applied_at",...}]
  virtual Result<void> renew() = 0;            // renews every lease of this connection
  virtual Result<void> start_sut(const SutSpec& sut) = 0;
  virtual Result<void> stop_sut() = 0;
  virtual Result<void> restart_sut() = 0;
  // Runs argv (no shell) on the agent's host, in the agent's namespaces,
  // with the agent's environment plus FAULTLINE_* for the SUT; kills it
  // (its whole session) after `timeout`.
  virtual Result<CommandRun> exec(const std::vector<std::string>& argv, Nanos timeout) = 0;
  virtual Result<ClockSample> clock_sample() = 0;
  virtual Result<void> subscribe_events(std::function<void(const AgentEvent&)> callback) = 0;
  virtual void close() = 0;
};

}  // namespace faultline::agent
