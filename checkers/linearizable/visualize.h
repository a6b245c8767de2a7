// Draws a linearizability violation the way Porcupine's visualization does,
// for the HTML report.
//
// Contract: render_violation_html(findings) takes the findings object of the
// linearizable checker (CheckResult::findings, as in results.json) and returns
// a self-contained HTML fragment (a <div class="fl-lin"> with its own <style>
// and an inline <svg>, no scripts, no external resources): one row per
// process, each operation a bar from its invoke to its completion (on the
// history's event order, compressed; an info op runs to the right edge with a
// dashed end), the ops of the longest linearizable prefix in green numbered in
// linearization order with the state after each in their tooltip, the
// operation that cannot be linearized in red, other ops in grey, and below the
// drawing the failing op and the model states reachable just before it. Every
// text from the history is HTML-escaped. Returns "" when the findings hold no
// violation (valid is not false, or there is no "timeline").
#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace faultline::checkers::linearizable {

std::string render_violation_html(const nlohmann::json& findings);

}  // namespace faultline::checkers::linearizable
