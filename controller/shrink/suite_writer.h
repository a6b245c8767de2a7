// Suite writer: a suite file with an explicit schedule (shrunk.yaml, the candidates).
//
// Contract: schedule_suite_yaml() reads the original suite file, applies the
// run's --set overrides, replaces {suite_dir} by the original suite's
// directory (the new file lives elsewhere), sets `duration`, `metadata`
// entries from `metadata` (e.g. shrunk_from), and replaces the nemesis with
// `seed` and one `at:` entry per fault: at its start, for end - start, with
// its targets as a list; a partition becomes mode `grudge` with its recorded
// grudge. Times are written in whole milliseconds (rounded to the nearest).
// Loading the result with load_suite() and building its schedule gives back
// the faults (kinds, specs, targets, grudges, times to the millisecond).
// Errors: the suite file cannot be read or is not YAML, or an override fails
// (kInvalidInput).
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/result.h"
#include "controller/nemesis/schedule.h"

namespace faultline::controller::shrink {

Result<std::string> schedule_suite_yaml(const std::filesystem::path& suite_file, const std::vector<std::string>& sets,
                                        const std::vector<ScheduledFault>& faults, Nanos duration, std::uint64_t seed,
                                        const nlohmann::json& metadata);

// "1234ms": a duration as the suite parser reads it, to the millisecond.
std::string millis(Nanos ns);
// A duration for people, to the millisecond ("4.766s").
std::string short_duration(Nanos ns);

}  // namespace faultline::controller::shrink
