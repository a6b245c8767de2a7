// kill: SIGKILL the supervised SUT (a NodeCrash fault), through the agent's
// ProcessControl. {"kind":"kill"} restarts it when healed (after the
// duration, on lease expiry or agent restart); {"kind":"kill","restart":false}
// leaves it dead until the controller starts it again. Heal restarts only if
// the SUT is not running, so it is idempotent.
// HealRecord: {"restart": bool, "pid": the pid killed (informational)}.
#include <csignal>

#include <fmt/format.h>

#include "faults/registry.h"

namespace faultline::faults {
namespace {

class KillMechanism : public Mechanism {
 public:
  std::string_view name() const override { return "supervisor"; }

  Availability probe(const HostContext& host) const override {
    Availability a{host.process != nullptr, "supervisor", ""};
    if (!a.available) a.reason = "no supervised SUT on this agent (start it through the agent)";
    return a;
  }

  Result<HealRecord> plan(const FaultSpec& spec, const HostContext& host) override {
    if (!host.process) return unavailable("kill: no supervised SUT on this agent");
    bool restart = true;
    if (auto r = spec.params.find("restart"); r != spec.params.end()) {
      if (!r->is_boolean()) return invalid_input("kill field \"restart\" must be true or false");
      restart = r->get<bool>();
    }
    return HealRecord{{"restart", restart}, {"pid", host.process->pid()}};
  }

  Result<void> apply(const HealRecord&, const HostContext& host) override {
    if (!host.process) return unavailable("kill: no supervised SUT on this agent");
    if (!host.process->running()) return ok_result();
    return host.process->signal(SIGKILL);
  }

  Result<void> heal(const HealRecord& record, const HostContext& host) override {
    if (!record.value("restart", true)) return ok_result();
    if (!host.process) return unavailable("kill heal: no supervised SUT on this agent to restart");
    if (host.process->running()) return ok_result();
    return host.process->restart();
  }

  std::string describe(const HealRecord& record) const override {
    return fmt::format("kill: SIGKILL the SUT (pid {}){}", record.value("pid", -1),
                       record.value("restart", true) ? ", restart on heal" : ", no restart");
  }
};

FAULTLINE_REGISTER_MECHANISM("kill", 0, KillMechanism);

}  // namespace
}  // namespace faultline::faults
