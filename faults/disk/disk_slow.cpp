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

using DiskSlow = RuleMechanism<SlowRule, parse_slow_rule, slow_rule_from_json>;
FAULTLINE_REGISTER_MECHANISM("disk-slow", 0, DiskSlow);

}  // namespace
}  // namespace faultline::faults::disk
