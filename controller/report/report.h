// The run report: one self-contained report.html.
//
// Contract: write_report() writes `file` from the run's history, the check
// report (may be null when the checkers did not run) and suite metadata
// ({"suite", "verdict", "seed", "nodes", "started_at", ...}; anything else is
// listed as given). The page needs no network: Chart.js (Debian's
// libjs-chart.js, found by report/chartjs.h) is inlined; without it the page
// still shows the tables and says the charts are unavailable. Sections:
// summary, a timeline with every fault window per node (coloured by kind;
// partitions with their grudge), event rate, each observer's detector status
// of each subject (alive/suspect/dead bands), breaker states per node/name,
// client latency (per op, by ok/fail/info) and throughput, and — when the
// availability checker ran — the clients' success rate per bucket with its
// steady-state bound and each fault's recovery interval (heal -> recovered),
// fault windows shaded behind the time charts; and every checker's verdict with each
// finding and the history events around it, plus the linearizability
// violation drawing (checkers/linearizable/visualize.h). Every history string
// is escaped. Series are downsampled (report_data) so 100k+-event histories
// give a page of bounded size. The data is embedded as JSON
// (<script type="application/json" id="faultline-data">); page_assets.h lists
// the DOM markers set once the charts are drawn.
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
