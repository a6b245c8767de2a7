// disk-error: the selected operations on the data fs fail with `errno`
// (EIO by default) on `percent` of calls, without taking effect.
//   {"kind":"disk-error","errno":"ENOSPC","ops":["write","fsync"],
//    "path":"demo/*","percent":10}
// HealRecord: {"mount", "rule": {"id","where","errno","errno_name","percent"}}.
#include "faults/disk/data_fs_mechanism.h"

namespace faultline::faults::disk {
namespace {

using DiskError = RuleMechanism<ErrorRule, parse_error_rule, error_rule_from_json>;
FAULTLINE_REGISTER_MECHANISM("disk-error", 0, DiskError);

}  // namespace
}  // namespace faultline::faults::disk
