// RecordedRun: a finished run's directory read back, as replay and shrink need it.
//
// Contract: load_recorded_run(DIR) reads DIR/results.json (written by
// output/run_summary.h) and returns the run's verdict, suite file, --set
// overrides, seed and its faults as executed, turned back into a schedule:
// each fault's kind and spec, effective targets (for partitions the grudge),
// and start and end in schedule time (nanoseconds from the moment every SUT
// was up, results.json "schedule_zero_ns"). A fault that never ended (an
// interrupted run) ends at the run's last history time. Errors (kInvalidInput,
// the message names DIR and the reason): DIR is not a directory, has no
// results.json, results.json is not JSON, or the run never brought its SUT up
// or predates schedule_zero_ns/spec in results.json (nothing to replay).
// Faults that failed to apply on every node are skipped (they never ran).
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/result.h"
#include "common/units.h"
#include "controller/nemesis/schedule.h"

namespace faultline::controller {

struct RecordedRun {
  std::filesystem::path dir;
  nlohmann::json results;           // results.json as written
  std::string suite;                // suite name
  std::filesystem::path suite_path; // absolute when the run recorded it, else suite_file as given
  std::vector<std::string> sets;
  std::uint64_t seed = 0;
  int exit_code = -1;               // the verdict's code (0 valid, 1 invalid, 2 unknown)
  Nanos duration = 0;               // history end time
  Nanos schedule_zero = 0;          // history time of schedule time 0
  std::vector<ScheduledFault> faults;  // schedule time, in start order
};

Result<RecordedRun> load_recorded_run(const std::filesystem::path& dir);

// results.json "replay_of" for a replay of `run`.
nlohmann::json replay_record(const RecordedRun& run);

}  // namespace faultline::controller
