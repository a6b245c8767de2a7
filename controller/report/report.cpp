#include "controller/report/report.h"

#include <fstream>

#include <fmt/format.h>

#include "controller/report/chartjs.h"
#include "controller/report/findings_html.h"
#include "controller/report/html.h"
#include "controller/report/page_assets.h"

namespace faultline::controller {
namespace {

using nlohmann::json;
using report::html_escape;

std::string text_of(const json& v) { return v.is_string() ? v.get<std::string>() : v.dump(-1, ' ', false, json::error_handler_t::replace); }

std::string faults_table(const json& faults) {
  if (faults.empty()) return "<p>No faults in this history.</p>\n";
  std::string html =
      "<table id=\"faults\"><tr><th>id</th><th>kind</th><th>start (s)</th><th>end (s)</th><th>targets</th><th>spec</th></tr>\n";
  for (const auto& f : faults) {
    std::string targets;
    for (const auto& t : f["targets"]) targets += (targets.empty() ? "" : ", ") + text_of(t);
    std::string grudge;
    if (f.contains("grudge")) {
      grudge = "<br>grudge (node drops packets from):<ul>";
      for (auto& [node, from] : f["grudge"].items()) {
        std::string list;
        for (const auto& n : from) list += (list.empty() ? "" : ", ") + text_of(n);
        grudge += "<li>" + html_escape(node) + " ✕ " + html_escape(list) + "</li>";
      }
      grudge += "</ul>";
    }
    html += fmt::format("<tr><td>{}</td><td>{}</td><td>{:.3f}</td><td>{:.3f}{}</td><td>{}</td><td><code>{}</code>{}</td></tr>\n",
                        html_escape(text_of(f["id"])), html_escape(text_of(f["kind"])), f["start"].get<double>(),
                        f["end"].get<double>(), f.value("ended", true) ? "" : " <span class=\"muted\">(never ended)</span>",
                        html_escape(targets), html_escape(text_of(f["fault"])), grudge);
  }
  return html + "</table>\n";
}

std::string chart(const std::string& id) { return "<div class=\"chart\"><canvas id=\"" + id + "\"></canvas></div>\n"; }

}  // namespace

Result<void> write_report(const std::filesystem::path& file, const history::History& history,
                          const checkers::CheckReport* check, const nlohmann::json& metadata) {
  const json data = report_data(history, check, metadata);
  const std::string suite = metadata.is_object() && metadata.contains("suite") ? text_of(metadata["suite"]) : "faultline run";
  const json verdict = metadata.is_object() && metadata.contains("verdict") ? metadata["verdict"] : data["valid"];
  const std::string verdict_text = verdict.is_boolean() ? (verdict.get<bool>() ? "valid" : "invalid") : "unknown";
  const std::string verdict_class = verdict.is_boolean() ? (verdict.get<bool>() ? "v-true" : "v-false") : "v-unknown";
  const auto chartjs = report::load_chartjs();

  std::string html = "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n";
  // No network: everything is inline; the CSP says so to the browser as well.
  html += "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; script-src 'unsafe-inline'; "
          "style-src 'unsafe-inline'; img-src data:\">\n";
  html += fmt::format("<title>faultline: {}</title>\n<style>{}</style>\n", html_escape(suite), report::kReportStyle);
  if (chartjs) html += "<script>" + report::js_for_script(chartjs->code) + "</script>\n";
  html += "</head><body>\n";
  html += fmt::format("<h1>faultline: {} <span class=\"verdict {}\">{}</span></h1>\n", html_escape(suite), verdict_class,
                      verdict_text);
  if (!chartjs)
    html += "<p class=\"note\" id=\"no-charts\">Charts unavailable: Chart.js (Debian package libjs-chart.js) was not found "
            "when this report was written; the tables still hold the data.</p>\n";
  html += "<section id=\"summary\"><table>\n";
  if (metadata.is_object())
    for (auto& [key, value] : metadata.items())
      html += fmt::format("<tr><th>{}</th><td>{}</td></tr>\n", html_escape(key), html_escape(text_of(value)));
  html += fmt::format("<tr><th>events</th><td>{}</td></tr><tr><th>length</th><td>{:.3f} s</td></tr>"
                      "<tr><th>faults</th><td>{}</td></tr></table></section>\n",
                      history.events.size(), data["end"].get<double>(), data["faults"].size());
  html += "<section id=\"timeline-section\"><h2>Fault timeline (windows by kind, per node)</h2>\n" + chart("timeline") +
          faults_table(data["faults"]) + "</section>\n";
  html += fmt::format("<section id=\"rate-section\"><h2>Events per second (per {:.0f} s bucket), fault windows shaded</h2>\n",
                      data["bucket"].get<double>()) +
          chart("rate") + "</section>\n";
  html += "<section id=\"detector-section\"><h2>Failure detector: each observer's view of each subject</h2>\n" +
          chart("detector") +
          (data["detector_envelope"].empty()
               ? std::string()
               : std::string("<p class=\"muted\">Grey: what the detector checker allowed (the reference's latest x "
                             "margin + slack); blue: the range the reference itself took over its replays of this "
                             "run's faults (docs/detector.md).</p>\n")) +
          (data["detector_truncated"].get<bool>() ? "<p class=\"muted\">(spans truncated to the first 5000)</p>\n" : "") +
          "</section>\n";
  html += "<section id=\"breaker-section\"><h2>Circuit breakers: state over time per node / name</h2>\n" + chart("breaker") +
          (data["breaker_truncated"].get<bool>() ? "<p class=\"muted\">(spans truncated to the first 5000)</p>\n" : "") +
          "</section>\n";
  const auto& client = data["client"];
  html += "<section id=\"client-section\"><h2>Client latency and throughput, fault windows shaded</h2>\n";
  if (client["sampled"].get<bool>())
    html += fmt::format("<p class=\"muted\">{} operations; the latency plot shows {} of them (every failed or "
                        "indeterminate one first, then an even sample of the ok ones).</p>\n",
                        client["ops"].get<std::size_t>(), client["latency"].size());
  html += chart("latency") + chart("throughput") + "</section>\n";
  if (!data["availability"].is_null())
    html += "<section id=\"availability-section\"><h2>Availability: client success rate over time, the steady-state "
            "bound (dashed), fault windows shaded, recovery after each heal marked</h2>\n" +
            chart("availability") + "</section>\n";
  html += report::checkers_html(history, check);
  html += "<script type=\"application/json\" id=\"faultline-data\">" + report::json_for_script(data) + "</script>\n";
  html += std::string("<script>") + report::kReportScript + "</script>\n</body></html>\n";

  std::ofstream out(file, std::ios::trunc | std::ios::binary);
  if (!out) return io_error(fmt::format("{}: cannot create", file.string()));
  out << html;
  out.close();
  if (!out) return io_error(fmt::format("{}: write failed", file.string()));
  return ok_result();
}

}  // namespace faultline::controller
