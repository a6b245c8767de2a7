// The run report: one self-contained report.html.
//
// Contract: write_report() writes `file` from the run's history, the check
// report (may be null when the checkers did not run) and suite metadata
// ({"suite", "verdict", "seed", "nodes", "started_at", ...}; anything else is
// listed as given). The page needs no network: Chart.js (Debian's
// libjs-chart.js, /usr/share/javascript/chart.js/chart.min.js, or the file named
// by $FAULTLINE_CHARTJS) is inlined; without it the page still shows the
// tables and says the charts are unavailable. Sections: summary, a timeline
// with every fault window per node (coloured by kind), event rate with fault
// windows shaded, detector suspicion spans per observer and subject, client
// latency and throughput (when the history has client operations), and every
// checker's verdict and findings. The data is embedded as JSON
// (<script id="faultline-data">) so later sections can be added in JS alone.
// Returns an Error only when the file cannot be written.
#pragma once

#include <filesystem>

#include <nlohmann/json.hpp>

#include "checkers/checker.h"
#include "checkers/history/event.h"
#include "common/result.h"

namespace faultline::controller {

Result<void> write_report(const std::filesystem::path& file, const history::History& history,
                          const checkers::CheckReport* check, const nlohmann::json& metadata);

// The JSON embedded in the page (exposed for tests and other front ends).
nlohmann::json report_data(const history::History& history, const checkers::CheckReport* check,
                           const nlohmann::json& metadata);

}  // namespace faultline::controller
