#include "controller/report/chartjs.h"

#include <cstdlib>
#include <fstream>
#include <sstream>

namespace faultline::controller::report {

std::vector<std::string> chartjs_candidates() {
  std::vector<std::string> paths;
  if (const char* env = std::getenv("FAULTLINE_CHARTJS")) {
    paths.emplace_back(env);  // set: the only place to look ("" or a missing file: no charts)
    return paths;
  }
  for (const char* p : {"/usr/share/javascript/chart.js/chart.umd.js", "/usr/share/javascript/chart.js/chart.min.js",
                        "/usr/share/javascript/chart.js/chart.js", "/usr/share/nodejs/chart.js/dist/chart.umd.js",
                        "/usr/share/nodejs/chart.js/dist/chart.min.js", "/usr/share/nodejs/chart.js/dist/chart.js"})
    paths.emplace_back(p);
  return paths;
}

std::optional<ChartJs> load_chartjs() {
  for (const auto& path : chartjs_candidates()) {
    std::ifstream in(path, std::ios::binary);
    if (!in) continue;
    std::stringstream buffer;
    buffer << in.rdbuf();
    if (buffer.str().empty()) continue;
    return ChartJs{path, buffer.str()};
  }
  return std::nullopt;
}

}  // namespace faultline::controller::report
