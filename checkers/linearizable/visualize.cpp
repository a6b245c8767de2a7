#include "checkers/linearizable/visualize.h"

#include "common/html_escape.h"

#include <algorithm>
#include <map>
#include <set>

#include <fmt/format.h>

namespace faultline::checkers::linearizable {
namespace {

using nlohmann::json;

std::string escape(const std::string& s) { return html_escape(s); }

std::string shorten(const std::string& s, std::size_t max) { return s.size() <= max ? s : s.substr(0, max - 1) + "…"; }

std::string value_text(const json& v) { return v.is_null() ? "nil" : v.dump(); }

std::string op_label(const json& op) {
  std::string s = op.value("f", "?");
  if (op.contains("value") && !op["value"].is_null()) s += " " + value_text(op["value"]);
  if (op.value("type", "") == "info") return s + " → ?";
  if (op.contains("output")) s += " → " + value_text(op["output"]);
  return s;
}

constexpr const char* kStyle = R"(<style>
.fl-lin{font:12px sans-serif;color:#222}
.fl-lin svg{background:#fafafa;border:1px solid #ddd}
.fl-lin .lin rect{fill:#b7e4c7;stroke:#2d6a4f}
.fl-lin .bad rect{fill:#f4a3a3;stroke:#b00020;stroke-width:2}
.fl-lin .other rect{fill:#e0e0e0;stroke:#888}
.fl-lin .info rect{stroke-dasharray:4 3}
.fl-lin text{font-size:11px}
.fl-lin .proc{fill:#555}
.fl-lin .num{font-weight:bold;fill:#2d6a4f}
.fl-lin ul{margin:4px 0 0 0}
.fl-lin .legend span{display:inline-block;padding:0 6px;margin-right:6px;border:1px solid #888}
</style>
)";

}  // namespace

std::string render_violation_html(const json& findings) {
  if (!findings.is_object() || findings.value("valid", json(true)) != json(false) || !findings.contains("timeline"))
    return "";
  const json& ops = findings["timeline"];
  if (!ops.is_array() || ops.empty()) return "";

  // Compress the event positions of every bar end into columns.
  std::set<std::int64_t> positions;
  std::set<std::int64_t> processes;
  for (const auto& op : ops) {
    positions.insert(op.value("call", std::int64_t{0}));
    if (op.contains("return") && op["return"].is_number()) positions.insert(op["return"].get<std::int64_t>());
    processes.insert(op.value("process", std::int64_t{0}));
  }
  std::map<std::int64_t, int> column;
  for (auto p : positions) column.emplace(p, static_cast<int>(column.size()));
  std::map<std::int64_t, int> row;
  for (auto p : processes) row.emplace(p, static_cast<int>(row.size()));

  const int left = 90, col_w = 44, row_h = 30, top = 10;
  const int columns = static_cast<int>(column.size()) + 1;  // +1: room for info ops running on
  const int width = left + columns * col_w + 10;
  const int height = top + static_cast<int>(row.size()) * row_h + 10;

  std::string svg = fmt::format(R"(<svg xmlns="http://www.w3.org/2000/svg" width="{}" height="{}" role="img">)", width, height);
  for (const auto& [process, r] : row) {
    int y = top + r * row_h;
    svg += fmt::format(R"(<text class="proc" x="4" y="{}">process {}</text>)", y + 18, process);
    svg += fmt::format(R"(<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="#eee"/>)", left, y + row_h - 2, width - 10, y + row_h - 2);
  }
  for (const auto& op : ops) {
    bool failed = op.value("failed", false);
    bool linearized = op.contains("linearized") && op["linearized"].is_number();
    bool info = op.value("type", "") == "info";
    int x1 = left + column[op.value("call", std::int64_t{0})] * col_w;
    int x2 = info || !op["return"].is_number() ? left + columns * col_w : left + column[op["return"].get<std::int64_t>()] * col_w;
    x2 = std::max(x2, x1 + 12);
    int y = top + row[op.value("process", std::int64_t{0})] * row_h + 4;
    std::string cls = failed ? "bad" : linearized ? "lin" : "other";
    if (info) cls += " info";
    std::string title = fmt::format("process {}: {}", op.value("process", std::int64_t{0}), op_label(op));
    if (linearized) title += fmt::format("\nlinearized #{}; state after: {}", op["linearized"].get<std::int64_t>() + 1, value_text(op.value("state_after", json())));
    if (failed) title += "\ncannot be linearized";
    svg += fmt::format(R"(<g class="{}"><title>{}</title><rect x="{}" y="{}" width="{}" height="{}" rx="3"/>)", cls,
                       escape(title), x1, y, x2 - x1, row_h - 10);
    int max_chars = std::max(2, (x2 - x1 - 6) / 6);
    svg += fmt::format(R"(<text x="{}" y="{}">{}</text>)", x1 + 3, y + 14, escape(shorten(op_label(op), static_cast<std::size_t>(max_chars))));
    if (linearized)
      svg += fmt::format(R"(<text class="num" x="{}" y="{}">{}</text>)", x2 - 14, y - 1 + 0, op["linearized"].get<std::int64_t>() + 1);
    svg += "</g>";
  }
  svg += "</svg>";

  std::string html = "<div class=\"fl-lin\">\n";
  html += kStyle;
  std::string key = findings.contains("key") ? " (key " + findings["key"].dump() + ")" : "";
  html += fmt::format("<p><b>Not linearizable</b>{} — model {}, initial {}.</p>\n", escape(key),
                      escape(findings.value("model", std::string("?"))), escape(value_text(findings.value("initial", json()))));
  html += R"(<p class="legend"><span style="background:#b7e4c7">longest linearizable prefix (numbered)</span><span style="background:#f4a3a3">cannot be linearized</span><span style="background:#e0e0e0">not linearized</span></p>)";
  html += "\n" + svg + "\n";
  if (findings.contains("op")) {
    const json& bad = findings["op"];
    std::string where;
    if (bad.contains("invoke")) where = fmt::format("invoked at line {}", bad["invoke"].value("line", 0));
    if (bad.contains("complete")) where += fmt::format(", completed at line {}", bad["complete"].value("line", 0));
    html += fmt::format("<p>Cannot linearize: process {} {} ({}).</p>\n", bad.value("process", std::int64_t{0}),
                        escape(op_label(bad)), escape(where));
  }
  if (findings.contains("linearized_prefix"))
    html += fmt::format("<p>Longest linearizable prefix: {} operations.</p>\n", findings["linearized_prefix"].value("length", 0));
  html += "<p>Model states reachable just before it:</p><ul>\n";
  for (const auto& s : findings.value("reachable_states", json::array()))
    html += "<li><code>" + escape(shorten(value_text(s), 200)) + "</code></li>\n";
  if (findings.value("reachable_states_truncated", false)) html += "<li>…</li>\n";
  html += "</ul>\n</div>\n";
  return html;
}

}  // namespace faultline::checkers::linearizable
