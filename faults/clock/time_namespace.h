// Time namespaces (Linux >= 5.6, CONFIG_TIME_NS): start a process whose
// CLOCK_MONOTONIC and CLOCK_BOOTTIME are offset from the host's, without
// touching anyone else's clock. REALTIME is not namespaced.
//
// Contract:
//  - probe_time_namespaces() says whether this kernel has them (and why not).
//  - TimeNamespaceSetup::prepare() formats everything before the child
//    exists; enter_in_child() is async-signal-safe (unshare + one write), for
//    a launch's exec_setup hook (common/process/launch.h): the exec'd program
//    runs in a new time namespace with the offsets. It returns 0 or an errno.
//  - spawn_with_time_offsets() starts argv (PATH searched) that way and
//    returns its pid; the caller waits for it.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "common/result.h"
#include "common/units.h"
#include "faults/mechanism.h"

namespace faultline::faults::clock {

struct TimeOffsets {
  Nanos monotonic = 0;
  Nanos boottime = 0;
};

Availability probe_time_namespaces();

class TimeNamespaceSetup {
 public:
  static Result<TimeNamespaceSetup> prepare(const TimeOffsets& offsets);
  int enter_in_child() const noexcept;

 private:
  std::string text_;  // the /proc/self/timens_offsets lines
};

Result<pid_t> spawn_with_time_offsets(const std::vector<std::string>& argv, const TimeOffsets& offsets);

}  // namespace faultline::faults::clock
