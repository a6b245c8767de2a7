// lose-unsynced: from the fault's start, data written to files on the data
// fs is held in memory until the file is fsynced (lazyfs's semantics, see
// held_writes.h); at the fault's end its crash action fires:
//   "drop" (default) everything not fsynced is discarded, as a power loss
//          would, and the kernel's cached pages of those files invalidated;
//   "kill" the SUT is SIGKILLed first, then the drop, then it is restarted
//          (a power loss of the whole node);
//   "none" the held data is written through (no crash happened).
//   {"kind":"lose-unsynced","crash":"kill","path":"*.db"}
// An agent that dies while holding loses the held data with it: that is the
// crash. HealRecord: {"mount", "rule": {"id","path","crash"}}.
#include <csignal>
#include <thread>

#include <spdlog/spdlog.h>

#include "faults/disk/data_fs_mechanism.h"

namespace faultline::faults::disk {
namespace {

class LoseUnsynced : public DataFsMechanism {
 public:
  Result<HealRecord> plan(const FaultSpec& spec, const HostContext& host) override {
    auto rule = parse_lose_unsynced_rule(spec);
    if (!rule) return rule.error();
    if (rule->crash == CrashAction::kKill && !host.process)
      return unavailable("lose-unsynced: crash \"kill\" needs a SUT supervised by this agent");
    return record_for(spec.kind, to_json(*rule));
  }

  Result<void> apply(const HealRecord& record, const HostContext&) override {
    auto rule = lose_unsynced_rule_from_json(record.value("rule", nlohmann::json::object()));
    if (!rule) return rule.error();
    auto fs = mounted(record);
    if (!fs) return unavailable("lose-unsynced: the data fs" + where(record) + " is not mounted");
    return fs->hold(*rule);
  }

  Result<void> heal(const HealRecord& record, const HostContext& host) override {
    auto rule = lose_unsynced_rule_from_json(record.value("rule", nlohmann::json::object()));
    if (!rule) return rule.error();
    auto fs = mounted(record);
    if (!fs) return ok_result();
    bool restart = false;
    if (rule->crash == CrashAction::kKill && host.process && host.process->running()) {
      (void)host.process->signal(SIGKILL);
      for (int i = 0; i < 500 && host.process->running(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
      restart = true;
    }
    auto released = fs->release_held(rule->id, rule->crash != CrashAction::kNone);
    if (!released) return released.error();
    spdlog::info("lose-unsynced {}: {} {} byte(s) of {} file(s)", rule->id,
                 rule->crash == CrashAction::kNone ? "wrote through" : "dropped", released->bytes, released->files);
    if (restart) return host.process->restart();
    return ok_result();
  }

  std::string describe(const HealRecord& record) const override {
    return describe_rule(record, lose_unsynced_rule_from_json);
  }
};

FAULTLINE_REGISTER_MECHANISM("lose-unsynced", 0, LoseUnsynced);

}  // namespace
}  // namespace faultline::faults::disk
