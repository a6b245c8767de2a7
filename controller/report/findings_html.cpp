#include "controller/report/findings_html.h"

#include <algorithm>

#include <fmt/format.h>

#include "checkers/history/jsonl_writer.h"
#include "checkers/linearizable/visualize.h"
#include "controller/output/validity.h"
#include "controller/report/html.h"

namespace faultline::controller::report {
namespace {

using nlohmann::json;

constexpr std::size_t kFindingsPerChecker = 50;
constexpr std::size_t kMaxShown = 600;  // characters of one JSON rendering

bool is_anchor_key(const std::string& key) { return key == "time" || key == "line" || key == "index" || key == "event"; }

// An object holding only a pointer at an event ({"time","line","index","event"}).
bool is_anchor(const json& j) {
  if (!j.is_object() || j.empty()) return false;
  bool has = false;
  for (auto& [k, v] : j.items()) {
    if (!is_anchor_key(k)) return false;
    if ((k == "time" || k == "line") && v.is_number_integer()) has = true;
  }
  return has;
}

void anchor_of(const json& j, Finding& f) {
  if (j.contains("time") && j["time"].is_number_integer()) f.time = j["time"].get<history::Nanos>();
  if (j.contains("line") && j["line"].is_number_integer() && j["line"].get<long long>() > 0)
    f.line = j["line"].get<std::size_t>();
}

void walk(const json& j, const std::string& path, std::vector<Finding>& out, std::size_t limit, std::size_t& total) {
  if (j.is_array()) {
    for (std::size_t i = 0; i < j.size(); ++i) walk(j[i], path + "/" + std::to_string(i), out, limit, total);
    return;
  }
  if (!j.is_object() || is_anchor(j)) return;
  Finding f{path, j, std::nullopt, 0};
  anchor_of(j, f);
  if (!f.time && f.line == 0)
    for (auto& [k, v] : j.items())
      if (is_anchor(v)) {
        anchor_of(v, f);
        break;
      }
  if (f.time || f.line) {
    ++total;
    if (out.size() < limit) out.push_back(std::move(f));
    return;  // a finding's children are its own details
  }
  for (auto& [k, v] : j.items())
    if (k != "timeline") walk(v, path + "/" + k, out, limit, total);
}

std::string shorten(std::string s, std::size_t max) {
  if (s.size() <= max) return s;
  s.resize(max);
  return s + "…";
}

std::string title_of(const Finding& f) {
  for (const char* key : {"message", "reason", "rule", "kind", "type", "what"})
    if (f.object.contains(key) && f.object[key].is_string()) return f.object[key].get<std::string>();
  return f.path;
}

std::string event_row(const history::Event& e, bool focus) {
  const std::string text = history::to_json(e).dump(-1, ' ', false, json::error_handler_t::replace);
  return fmt::format("<tr{}><td>{}</td><td>{:.6f}</td><td><code>{}</code></td></tr>\n", focus ? " class=\"focus\"" : "",
                     e.line ? std::to_string(e.line) : "", static_cast<double>(e.time) / 1e9,
                     html_escape(shorten(text, kMaxShown)));
}

std::string verdict_span(const json& v) {
  const std::string cls = v.is_boolean() ? (v.get<bool>() ? "v-true" : "v-false") : "v-unknown";
  const std::string txt = v.is_boolean() ? (v.get<bool>() ? "valid" : "invalid") : "unknown";
  return fmt::format("<span class=\"verdict {}\">{}</span>", cls, txt);
}

}  // namespace

std::vector<Finding> collect_findings(const json& findings, std::size_t limit, std::size_t* total) {
  std::vector<Finding> out;
  std::size_t count = 0;
  walk(findings, "", out, limit, count);
  if (total) *total = count;
  return out;
}

std::optional<std::size_t> locate(const history::History& history, const Finding& finding) {
  const auto& ev = history.events;
  if (ev.empty()) return std::nullopt;
  if (finding.line) {  // events keep file order, so lines ascend
    auto it = std::lower_bound(ev.begin(), ev.end(), finding.line,
                               [](const history::Event& e, std::size_t line) { return e.line < line; });
    if (it != ev.end() && it->line == finding.line) return static_cast<std::size_t>(it - ev.begin());
  }
  if (finding.time) {
    auto it = std::lower_bound(ev.begin(), ev.end(), *finding.time,
                               [](const history::Event& e, history::Nanos t) { return e.time < t; });
    if (it == ev.end()) --it;
    return static_cast<std::size_t>(it - ev.begin());
  }
  return std::nullopt;
}

std::string checkers_html(const history::History& history, const checkers::CheckReport* check,
                          std::size_t context_events) {
  std::string html = "<section id=\"checkers\"><h2>Checkers</h2>\n";
  if (!check || check->results.empty()) return html + "<p>No checker ran.</p></section>\n";
  for (const auto& [name, result] : check->results) {
    html += fmt::format("<div class=\"checker\" data-checker=\"{}\"><h3>{} {}</h3>\n<pre>{}</pre>\n", html_escape(name),
                        html_escape(name), verdict_span(validity_json(result.valid)), html_escape(result.text));
    const std::string drawing = checkers::linearizable::render_violation_html(result.findings);
    if (!drawing.empty()) html += "<h4>Linearizability violation</h4>\n" + drawing + "\n";
    std::size_t total = 0;
    auto found = collect_findings(result.findings, kFindingsPerChecker, &total);
    if (!found.empty()) {
      html += fmt::format("<h4>Findings ({}{})</h4>\n", total,
                          total > found.size() ? fmt::format(", the first {} shown", found.size()) : std::string());
    }
    for (const auto& f : found) {
      html += fmt::format("<details class=\"finding\" open><summary>{}{}</summary>\n<pre>{}</pre>\n",
                          html_escape(shorten(title_of(f), 300)),
                          f.line ? fmt::format(" — line {}", f.line)
                                 : (f.time ? fmt::format(" — {:.3f}s", static_cast<double>(*f.time) / 1e9) : std::string()),
                          html_escape(shorten(f.object.dump(1, ' ', false, json::error_handler_t::replace), 4 * kMaxShown)));
      if (auto at = locate(history, f)) {
        const std::size_t from = *at > context_events ? *at - context_events : 0;
        const std::size_t to = std::min(history.events.size(), *at + context_events + 1);
        html += "<table class=\"events\"><tr><th>line</th><th>time (s)</th><th>event</th></tr>\n";
        for (std::size_t i = from; i < to; ++i) html += event_row(history.events[i], i == *at);
        html += "</table>\n";
      }
      html += "</details>\n";
    }
    html += fmt::format("<details><summary>all findings (JSON)</summary><pre>{}</pre></details></div>\n",
                        html_escape(shorten(result.findings.dump(1, ' ', false, json::error_handler_t::replace), 200000)));
  }
  return html + "</section>\n";
}

}  // namespace faultline::controller::report
