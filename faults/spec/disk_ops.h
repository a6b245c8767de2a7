// The file operations the faultable data fs can fault, by name, in the order
// of faults/disk's DiskOp enum (disk_rules.h): the schema's "ops" choices.
#pragma once

#include <string>
#include <vector>

namespace faultline::faults::spec {

const std::vector<std::string>& disk_op_names();

}  // namespace faultline::faults::spec
