// FaultManager: applies and heals faults through the MechanismRegistry,
// journaled and leased (docs/design.md "Safety rules").
//
// Contract:
//  - apply(): plans with the registry, appends the HealRecord to the journal
//    BEFORE Mechanism::apply() (synced to disk when the fault survives a
//    reboot, else crash-safe: Mechanism::survives_reboot); if apply fails,
//    the fault is healed (idempotent) and journaled healed, and the Error is
//    returned.
//  - Every fault has a lease owned by one connection (owner id); renew(owner)
//    extends all of that owner's leases by their lease length. A fault is
//    healed by the reaper thread when its lease expires or its spec's
//    `duration` has passed, whichever comes first. The reaper sleeps until the
//    next deadline (no polling when idle).
//  - heal() removes exactly one fault and journals it healed; a heal that
//    fails leaves the fault listed with its error and is retried every second.
//  - recover() (call once, before serving) heals everything the journal says
//    is still applied, then compacts the journal to the faults whose heal
//    failed (those stay listed and are retried).
//  - shutdown() heals everything and stops the reaper. Thread-safe; mechanism
//    calls are serialised.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "agent/protocol/types.h"
#include "agent/core/journal.h"
#include "common/result.h"
#include "faults/registry.h"

namespace faultline::agent {

inline constexpr Nanos kDefaultLease = 30'000'000'000;

struct RecoveryReport {
  std::size_t healed = 0;
  std::size_t failed = 0;
  std::size_t skipped_lines = 0;
};

class FaultManager {
 public:
  FaultManager(faults::MechanismRegistry& registry, faults::HostContext host, Journal& journal);
  ~FaultManager();

  const faults::HostContext& host() const { return host_; }
  faults::MechanismRegistry& registry() { return registry_; }

  Result<RecoveryReport> recover();
  void start();  // the lease/duration reaper thread

  Result<AppliedFault> apply(const faults::FaultSpec& spec, std::optional<Nanos> lease, std::uint64_t owner);
  Result<void> heal(const std::string& id);
  // Heals every fault; the Error (if any) lists those that failed.
  Result<std::size_t> heal_all();
  nlohmann::json list() const;
  std::size_t renew(std::uint64_t owner);
  std::size_t size() const;

  void shutdown();

 private:
  using Clock = std::chrono::steady_clock;
  struct Fault {
    std::string id;
    nlohmann::json spec;
    nlohmann::json record;
    std::string description;
    std::uint64_t owner = 0;
    Nanos lease = kDefaultLease;
    Clock::time_point lease_deadline;
    std::optional<Clock::time_point> duration_deadline;
    std::optional<Clock::time_point> retry_at;
    std::int64_t applied_at_unix_ms = 0;
    bool healing = false;
    std::string heal_error;
  };

  Result<void> heal_one(const std::string& id, const char* reason);
  void reaper_loop();

  faults::MechanismRegistry& registry_;
  faults::HostContext host_;
  Journal& journal_;
  std::string id_tag_;
  std::uint64_t next_seq_ = 1;

  std::mutex ops_mutex_;  // serialises mechanism plan/apply/heal
  mutable std::mutex mutex_;
  std::condition_variable cv_;
  std::map<std::string, Fault> faults_;
  bool stopping_ = false;
  std::thread reaper_;
};

}  // namespace faultline::agent
