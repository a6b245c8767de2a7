// The report's checker section: every checker's verdict, its text, each
// finding with the history events around it, and the linearizability
// violation drawn by checkers/linearizable/visualize.h.
//
// Contract: collect_findings() walks a checker's findings JSON and returns the
// objects that point at the history (they carry a numeric "time" or "line",
// directly or in a child object holding only time/line/index/event), at most
// `limit` of them, in document order; pure event references (event_json) and
// the linearizable "timeline" are not findings. locate() finds the history
// position of a finding (by line when it has one, else by time).
// checkers_html() renders the whole section; all history text is escaped.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "checkers/checker.h"
#include "checkers/history/event.h"

namespace faultline::controller::report {

struct Finding {
  std::string path;          // JSON pointer inside the findings
  nlohmann::json object;     // the finding
  std::optional<history::Nanos> time;
  std::size_t line = 0;      // 0: none
};

std::vector<Finding> collect_findings(const nlohmann::json& findings, std::size_t limit, std::size_t* total = nullptr);
std::optional<std::size_t> locate(const history::History& history, const Finding& finding);
std::string checkers_html(const history::History& history, const checkers::CheckReport* check,
                          std::size_t context_events = 4);

}  // namespace faultline::controller::report
