// pause: SIGSTOP the supervised SUT (a NodeSlow fault); heal sends SIGCONT.
// The record names the process by pid and start time, so a fresh mechanism
// (after an agent restart) resumes exactly that process, and never signals a
// stranger that reused the pid. Healing a process that is gone succeeds.
// HealRecord: {"pid", "start_time"}.
#include <signal.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "faults/process/proc_identity.h"
#include "faults/registry.h"

namespace faultline::faults {
namespace {

class PauseMechanism : public Mechanism {
 public:
  std::string_view name() const override { return "sigstop"; }

  Availability probe(const HostContext& host) const override {
    Availability a{host.process != nullptr, "sigstop", ""};
    if (!a.available) a.reason = "no supervised SUT on this agent (start it through the agent)";
    return a;
  }

  Result<HealRecord> plan(const FaultSpec&, const HostContext& host) override {
    if (!host.process) return unavailable("pause: no supervised SUT on this agent");
    if (!host.process->running()) return unavailable("pause: the SUT is not running");
    auto who = ProcIdentity::of(host.process->pid());
    if (!who) return who.error().with_context("pause");
    return HealRecord{{"pid", who->pid}, {"start_time", who->start_time}};
  }

  Result<void> apply(const HealRecord& record, const HostContext&) override {
    return send(record, SIGSTOP, /*missing_ok=*/false);
  }

  Result<void> heal(const HealRecord& record, const HostContext&) override {
    return send(record, SIGCONT, /*missing_ok=*/true);
  }

  bool survives_reboot() const override { return false; }  // a stopped process
  std::string describe(const HealRecord& record) const override {
    return fmt::format("pause: SIGSTOP the SUT (pid {}), SIGCONT on heal", record.value("pid", -1));
  }

 private:
  static Result<void> send(const HealRecord& record, int signo, bool missing_ok) {
    ProcIdentity who{record.value("pid", -1), record.value("start_time", std::uint64_t{0})};
    if (!who.alive()) {
      if (missing_ok) return ok_result();
      return Error{ErrorCode::kNotFound, fmt::format("pause: process {} is no longer running", who.pid)};
    }
    if (::kill(who.pid, signo) != 0 && !(missing_ok && errno == ESRCH))
      return io_error(fmt::format("pause: kill({}, {}): {}", who.pid, strsignal(signo), std::strerror(errno)));
    return ok_result();
  }
};

FAULTLINE_REGISTER_MECHANISM("pause", 0, PauseMechanism);

}  // namespace
}  // namespace faultline::faults
