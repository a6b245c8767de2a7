// Where libfaultline_clock.so is, and the environment that puts a process
// under the per-process clock. For the supervisor that starts the SUT.
//
// Contract: find_clock_preload() looks, in order, at env
// FAULTLINE_CLOCK_PRELOAD, <dir of this executable>/libfaultline_clock.so,
// <dir of this executable>/../lib/libfaultline_clock.so and
// /usr/local/lib/faultline/, /usr/lib/faultline/; it returns an
// kUnavailable Error listing where it looked. clock_preload_env() returns the
// variables to add to the SUT's environment: LD_PRELOAD (the library,
// prepended to an existing LD_PRELOAD value if one is given) and
// FAULTLINE_CLOCK_SHM=<state_dir>/clock.shm. ensure_clock_page() creates the
// page (identity) so the SUT maps it from its first clock call.
#pragma once

#include <filesystem>
#include <map>
#include <string>

#include "common/result.h"

namespace faultline::faults::clock {

inline constexpr char kClockPreloadName[] = "libfaultline_clock.so";

Result<std::filesystem::path> find_clock_preload();
std::map<std::string, std::string> clock_preload_env(const std::filesystem::path& library,
                                                     const std::filesystem::path& state_dir,
                                                     const std::string& existing_ld_preload = "");
Result<void> ensure_clock_page(const std::filesystem::path& state_dir);

}  // namespace faultline::faults::clock
