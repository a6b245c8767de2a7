// Shrink report: WORK/report.html, the page that links a failing run to its reproducer.
//
// Contract: write_shrink_report() writes a self-contained HTML page with a
// "Shrink" section: the original run (link to its report.html, its faults
// and failure), the shrunk schedule (link to shrunk.yaml, each fault's kind,
// targets, start and duration), the confirmation reruns with their verdicts
// and links to each run's report.html (the shrunk run), the reproduction
// rate, and every step of the search (steps.jsonl). Links are relative to
// the page, so the run directory can be moved or archived whole. Every text
// is HTML-escaped. Returns an Error only when the file cannot be written.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/result.h"
#include "controller/shrink/search.h"

namespace faultline::controller::shrink {

struct ShrinkSummary {
  std::filesystem::path original_run;  // the failing run's directory
  std::string suite;
  std::string failure;                 // describe(signature)
  std::vector<ScheduledFault> original_faults;
  Nanos original_duration = 0;
  Candidate shrunk;
  std::vector<Step> steps;
  Confirmation confirmation;
  bool confirmed = false;              // confirmation ran
  bool interrupted = false;
  bool over_budget = false;
  Nanos budget = 0;
  Nanos elapsed = 0;                   // searching and confirming; counts against the budget
  Nanos waited = 0;                    // reruns waiting for their --wrap (a host lock): not in elapsed
  int runs = 0;                        // reruns per candidate, at most
  int keep = 0;                        // of which this many must fail the same way
};

nlohmann::json step_json(const Step& step);
nlohmann::json summary_json(const ShrinkSummary& summary);
Result<void> write_shrink_report(const std::filesystem::path& file, const ShrinkSummary& summary);

}  // namespace faultline::controller::shrink
