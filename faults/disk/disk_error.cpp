// disk-error: the selected operations on the data fs fail with `errno`
// (EIO by default) on `percent` of calls, without taking effect.
//   {"kind":"disk-error","errno":"ENOSPC","ops":["write","fsync"],
//    "path":"demo/*","percent":10}
// HealRecord: {"mount", "rule": {"id","where","errno","errno_name","percent"}}.
#include "faults/disk/data_fs_mechanism.h"

namespace faultline::faults::disk {
namespace {

class DiskError : public DataFsMechanism {
 public:
  Result<HealRecord> plan(const FaultSpec& spec, const HostContext&) override {
    auto rule = parse_error_rule(spec);
    if (!rule) return rule.error();
    auto mount = target_mount(spec.kind);
    if (!mount) return mount.error();
    return HealRecord{{"mount", *mount}, {"rule", to_json(*rule)}};
  }
  Result<void> apply(const HealRecord& record, const HostContext&) override {
    auto rule = error_rule_from_json(record.value("rule", nlohmann::json::object()));
    if (!rule) return rule.error();
    auto fs = mounted(record);
    if (!fs) return unavailable("disk-error: the data fs" + where(record) + " is not mounted");
    return fs->add_rule(*rule);
  }
  Result<void> heal(const HealRecord& record, const HostContext&) override {
    if (auto fs = mounted(record)) fs->remove_rule(record["rule"].value("id", ""));
    return ok_result();
  }
  std::string describe(const HealRecord& record) const override {
    auto rule = error_rule_from_json(record.value("rule", nlohmann::json::object()));
    return rule ? disk::describe(*rule) + where(record) : "disk-error";
  }
};

FAULTLINE_REGISTER_MECHANISM("disk-error", 0, DiskError);

}  // namespace
}  // namespace faultline::faults::disk
