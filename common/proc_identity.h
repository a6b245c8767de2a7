// ProcIdentity: a pid plus its start time (field 22 of /proc/<pid>/stat), so
// a record written before a restart (of an agent, of the controller) signals
// the same process and never a stranger that reused the pid.
//
// Contract: of() reads the identity of a live pid (kNotFound when it is
// gone); alive() is true only while that very process exists (a zombie
// counts as gone). group_members() lists the live processes whose process
// group is `pgid`, with their identities.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <vector>

#include "common/result.h"

namespace faultline {

struct ProcIdentity {
  pid_t pid = -1;
  std::uint64_t start_time = 0;  // clock ticks since boot

  static Result<ProcIdentity> of(pid_t pid);
  bool alive() const;
};

std::vector<ProcIdentity> group_members(pid_t pgid);

}  // namespace faultline
