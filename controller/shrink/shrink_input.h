// Shrink input: the failing run `faultline shrink` starts from, or why it refuses it.
//
// Contract: shrink_input(RUN_DIR, findings, suite) loads the run
// (replay/recorded_run.h) and its failure signature (failure.h), and
// refuses with a kInvalidInput Error whose message says what to do: a
// directory that is not a finished run (no results.json), a run that passed
// ("the run passed: there is nothing to shrink"), a run whose verdict is
// unknown (no finding to reproduce), a run with no faults executed, a suite
// file that is gone (give --suite), or a `findings` filter ("CHECKER" or
// "CHECKER:KIND") that matches none of the run's findings. With `findings`
// the target is narrowed to the matching ones. `suite` (when not empty)
// replaces the suite file the run recorded.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "common/result.h"
#include "controller/replay/recorded_run.h"
#include "controller/shrink/failure.h"

namespace faultline::controller::shrink {

struct ShrinkInput {
  RecordedRun run;
  FailureSignature failure;  // what a rerun must reproduce (one of these)
};

Result<ShrinkInput> shrink_input(const std::filesystem::path& run_dir, const std::vector<std::string>& findings = {},
                                 const std::filesystem::path& suite = {});

}  // namespace faultline::controller::shrink
