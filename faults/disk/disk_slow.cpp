// disk-slow (StorageSlow): every selected operation on the data fs sleeps
// `delay` ± `jitter` before it runs.
//   {"kind":"disk-slow","delay":"20ms","jitter":"5ms","ops":["read","write"],
//    "path":"*.log","percent":50}
// Only delay is required; ops default to every op, path to every file,
// percent to 100. HealRecord: {"mount", "rule": {"id","where","delay_ns",
// "jitter_ns","percent"}}.
#include "faults/disk/data_fs_mechanism.h"

namespace faultline::faults::disk {
namespace {

class DiskSlow : public DataFsMechanism {
 public:
  Result<HealRecord> plan(const FaultSpec& spec, const HostContext&) override {
    auto rule = parse_slow_rule(spec);
    if (!rule) return rule.error();
    auto mount = target_mount(spec.kind);
    if (!mount) return mount.error();
    return HealRecord{{"mount", *mount}, {"rule", to_json(*rule)}};
  }
  Result<void> apply(const HealRecord& record, const HostContext&) override {
    auto rule = slow_rule_from_json(record.value("rule", nlohmann::json::object()));
    if (!rule) return rule.error();
    auto fs = mounted(record);
    if (!fs) return unavailable("disk-slow: the data fs" + where(record) + " is not mounted");
    return fs->add_rule(*rule);
  }
  Result<void> heal(const HealRecord& record, const HostContext&) override {
    if (auto fs = mounted(record)) fs->remove_rule(record["rule"].value("id", ""));
    return ok_result();
  }
  std::string describe(const HealRecord& record) const override {
    auto rule = slow_rule_from_json(record.value("rule", nlohmann::json::object()));
    return rule ? disk::describe(*rule) + where(record) : "disk-slow";
  }
};

FAULTLINE_REGISTER_MECHANISM("disk-slow", 0, DiskSlow);

}  // namespace
}  // namespace faultline::faults::disk
