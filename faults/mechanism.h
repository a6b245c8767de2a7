// Mechanism: one way of applying and healing one fault kind on this host.
//
// Contract (the extension point of faults/, registered by kind as Envoy
// registers filters; see registry.h):
//  - probe() says whether the mechanism works here, and if not, why (missing
//    kernel feature, binary or capability). It changes nothing.
//  - plan() validates the spec's parameters and returns the HealRecord: a JSON
//    object with everything heal() needs, from the record alone, in a fresh
//    process (the agent journals it BEFORE apply()). plan() may
//    save data heal needs (e.g. original file bytes under state_dir) but must
//    not put the fault in effect.
//  - apply() puts the fault in effect, touching only what we own (our chain,
//    our qdisc handle, our ballast file).
//  - heal() removes exactly what apply() added. It is idempotent: healing a
//    fault that was never applied, half applied, or already healed succeeds.
//  - describe() is one line for humans ("partition: drop 198.18.0.2, .3 on eth0").
//  - serves(direction) says which traffic a network mechanism shapes: what the
//    host sends (egress, every mechanism's default) or what it receives
//    (ingress, a spec's "direction":"ingress"). The registry plans a spec only
//    with mechanisms that serve its direction.
//  - survives_reboot() says whether what apply() changes outlives a reboot
//    of the host (a file on disk such as a ballast file or a per-process
//    clock page, the system clock: the default). The agent syncs the journal
//    record of such a fault to disk before apply(); kernel state that a
//    reboot clears (rules, qdiscs, a stopped process, cgroup limits) needs
//    the record to outlive only a crash of the agent, which the page cache
//    does, so its record is not synced.
// The record always carries "kind" and "mechanism" (set by the registry), so
// the journal knows which mechanism to ask for heal.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>
#include <filesystem>

#include <nlohmann/json.hpp>

#include "common/result.h"
#include "faults/fault_spec.h"

namespace faultline::faults {

using HealRecord = nlohmann::json;

// The supervised process (the SUT) as the process mechanisms see it. The
// agent's supervisor implements it; faults/ knows nothing else of the agent.
class ProcessControl {
 public:
  virtual ~ProcessControl() = default;
  virtual bool running() const = 0;
  virtual int pid() const = 0;  // -1 when not running
  virtual Result<void> signal(int signo) = 0;
  virtual Result<void> restart() = 0;  // start again (after a kill)
};

// A connection that network faults must never cut (the agent's control
// connection, docs/design.md "Safety rules").
struct Exemption {
  std::string local_address;   // may be empty = any
  std::uint16_t local_port = 0;
};

struct HostContext {
  std::filesystem::path state_dir;        // the agent's --state-dir
  ProcessControl* process = nullptr;      // may be null: no SUT supervised
  std::vector<Exemption> exemptions;      // never faulted
  std::string default_interface;          // for network faults without "interface"
};

// Which traffic a shaping fault acts on: what this host sends (the default)
// or what it receives ("direction":"ingress" in the spec).
enum class Direction { kEgress, kIngress };

inline Direction direction_of(const FaultSpec& spec) {
  auto it = spec.params.find("direction");
  return it != spec.params.end() && it->is_string() && it->get<std::string>() == "ingress" ? Direction::kIngress
                                                                                          : Direction::kEgress;
}

inline const char* direction_name(Direction direction) {
  return direction == Direction::kIngress ? "ingress" : "egress";
}

struct Availability {
  bool available = false;
  std::string mechanism;  // e.g. "netem", "iptables-statistic", "nfqueue-shaper"
  std::string reason;     // why not, when unavailable
};

class Mechanism {
 public:
  virtual ~Mechanism() = default;
  virtual std::string_view name() const = 0;
  virtual Availability probe(const HostContext& host) const = 0;
  virtual Result<HealRecord> plan(const FaultSpec& spec, const HostContext& host) = 0;
  virtual Result<void> apply(const HealRecord& record, const HostContext& host) = 0;
  virtual Result<void> heal(const HealRecord& record, const HostContext& host) = 0;
  virtual std::string describe(const HealRecord& record) const = 0;
  virtual bool serves(Direction direction) const { return direction == Direction::kEgress; }
  virtual bool survives_reboot() const { return true; }
};

}  // namespace faultline::faults
