// fault_id_for: the id a host mechanism (process, disk, clock) names its
// artefacts with (ballast .faultline-ballast-<id>, cgroup faultline-<id>,
// saved bytes, clock page entries).
//
// Contract: the spec's "id" field when it is a string of 1..32 characters from
// [A-Za-z0-9_.-] (the agent may pass its fault id there); a spec "id" of any
// other form is an kInvalidInput Error; with no "id", a fresh random_id(). The
// id is stored in the HealRecord, so heal never regenerates it.
// random_id(): 16 hex digits from a per-thread generator seeded once from
// std::random_device (also the network mechanisms' rule ids, tagging their iptables comments).
#pragma once

#include <string>

#include "common/result.h"
#include "faults/fault_spec.h"

namespace faultline::faults {

Result<std::string> fault_id_for(const FaultSpec& spec);
std::string random_id();

}  // namespace faultline::faults
