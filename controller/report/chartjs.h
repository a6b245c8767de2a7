// Finds Debian's Chart.js (package libjs-chart.js) to inline into the report.
//
// Contract: chartjs_candidates() lists the paths tried, in order: only
// $FAULTLINE_CHARTJS when it is set (even to "" or a missing file, which
// means no charts), else the UMD builds Debian ships
// (/usr/share/javascript/chart.js/chart.umd.js, chart.min.js, chart.js) and
// the nodejs layout (/usr/share/nodejs/chart.js/dist/...). load_chartjs()
// returns the first readable, non-empty one (path and code), or nullopt when
// none is found; the report then has no charts and says so.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace faultline::controller::report {

struct ChartJs {
  std::string path;
  std::string code;
};

std::vector<std::string> chartjs_candidates();
std::optional<ChartJs> load_chartjs();

}  // namespace faultline::controller::report
