// Where this host's CPU controller lives, for the cpu-throttle mechanisms.
//
// Contract: find_cpu_cgroup(2) returns the mount point of a cgroup2
// filesystem whose cgroup.controllers lists "cpu"; find_cpu_cgroup(1) the
// mount point of a cgroup v1 hierarchy with the cpu controller. Either
// returns an kUnavailable Error saying what is missing. cgroup_of() reads
// the pid's cgroup path in that hierarchy from /proc/<pid>/cgroup.
// write_file() writes one value and names the file and errno on failure.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <string>

#include "common/result.h"

namespace faultline::faults::cgroup {

Result<std::filesystem::path> find_cpu_cgroup(int version);
Result<std::string> cgroup_of(pid_t pid, int version);  // e.g. "/" or "/system.slice/x"
Result<void> write_file(const std::filesystem::path& file, const std::string& value);
Result<std::string> read_file(const std::filesystem::path& file);

}  // namespace faultline::faults::cgroup
