// Suite rerun: one rerun of a candidate schedule, as a `faultline run` of its own.
//
// Contract: SuiteRerunner is a Rerun (search.h). For each request it writes
// the candidate as a suite file (suite_writer.h) — WORK/candidates/cK.yaml,
// or WORK/shrunk.yaml for the confirmation reruns — runs
// `[wrap...] faultline run FILE --out WORK/runs/cK-A -q [--bin-dir DIR]` as
// a child in its own process group (its output to WORK/runs/cK-A.log),
// forwards SIGINT to that group when interrupted() turns true (the run heals
// and writes what it has), and reads its results.json. The outcome fails the
// same way when the run's failure signature shares a finding with `target`
// (failure.h). With a --wrap, `waited` is the time from launch to the run's
// started_at (whole seconds): what the wrap waited, e.g. for a host lock. A rerun that could not run (refused, exit 254 or 255, no
// results.json) or was interrupted stops the search: `stopped` is set and
// error() says why (empty for an interrupt). Only suites are rerun, so every
// provider works.
#pragma once

#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "controller/shrink/failure.h"
#include "controller/shrink/search.h"

namespace faultline::controller::shrink {

struct RerunSetup {
  std::filesystem::path faultline;     // the program to run
  std::filesystem::path suite_file;    // the original suite
  std::vector<std::string> sets;       // the original run's overrides
  std::uint64_t seed = 0;
  std::filesystem::path work;          // RUN_DIR/shrink
  std::string bin_dir;                 // passed on as --bin-dir when set
  std::vector<std::string> wrap;       // argv prefix (e.g. flock LOCKFILE)
  FailureSignature target;
  nlohmann::json metadata;             // metadata entries for the written suites
  std::function<bool()> interrupted;
};

class SuiteRerunner {
 public:
  explicit SuiteRerunner(RerunSetup setup) : setup_(std::move(setup)) {}
  RerunOutcome operator()(const RerunRequest& request);
  const std::string& error() const { return error_; }
  // Writes a candidate's suite file; returns its path.
  Result<std::filesystem::path> write_suite(const Candidate& candidate, const std::filesystem::path& file) const;

 private:
  RerunSetup setup_;
  std::string error_;
};

}  // namespace faultline::controller::shrink
