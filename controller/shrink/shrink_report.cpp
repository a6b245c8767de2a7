#include "controller/shrink/shrink_report.h"

#include <fstream>

#include <fmt/format.h>

#include "controller/report/html.h"
#include "controller/shrink/suite_writer.h"

namespace faultline::controller::shrink {
namespace {

using report::html_escape;

std::string relative_link(const std::filesystem::path& from_dir, const std::filesystem::path& target) {
  std::error_code ec;
  auto rel = std::filesystem::relative(target, from_dir, ec);
  return ec || rel.empty() ? target.string() : rel.string();
}

std::string targets_text(const ScheduledFault& f) {
  if (f.kind() == "partition") return nlohmann::json(f.grudge).dump();
  std::string out;
  for (const auto& t : f.targets) out += (out.empty() ? "" : ", ") + t;
  return out;
}

std::string fault_table(const std::vector<ScheduledFault>& faults) {
  std::string html = "<table><tr><th>id</th><th>kind</th><th>spec</th><th>targets (partition: grudge)</th><th>start</th><th>duration</th></tr>\n";
  for (const auto& f : faults)
    html += fmt::format("<tr><td>{}</td><td>{}</td><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td></tr>\n",
                        html_escape(f.id), html_escape(f.kind()), html_escape(f.spec.dump()),
                        html_escape(targets_text(f)), html_escape(short_duration(f.start)),
                        html_escape(short_duration(f.end - f.start)));
  return html + "</table>\n";
}

nlohmann::json faults_json(const std::vector<ScheduledFault>& faults) {
  auto list = nlohmann::json::array();
  for (const auto& f : faults) {
    nlohmann::json j{{"id", f.id}, {"kind", f.kind()}, {"spec", f.spec}, {"targets", f.targets},
                     {"start", millis(f.start)}, {"duration", millis(f.end - f.start)}};
    if (!f.grudge.empty()) j["grudge"] = f.grudge;
    list.push_back(j);
  }
  return list;
}

}  // namespace

nlohmann::json step_json(const Step& s) {
  return {{"candidate", s.candidate}, {"phase", s.phase},       {"change", s.change},
          {"faults", s.faults},       {"duration", millis(s.duration)}, {"reruns", s.reruns},
          {"failures", s.failures},   {"accepted", s.accepted}, {"cut_short", s.cut_short},
          {"elapsed_s", static_cast<double>(s.elapsed) / 1e9}, {"verdicts", s.verdicts}, {"runs", s.run_dirs}};
}

nlohmann::json summary_json(const ShrinkSummary& s) {
  return {{"original_run", s.original_run.string()},
          {"suite", s.suite},
          {"failure", s.failure},
          {"original_faults", s.original_faults.size()},
          {"original_duration", millis(s.original_duration)},
          {"shrunk_faults", faults_json(s.shrunk.faults)},
          {"shrunk_duration", millis(s.shrunk.duration)},
          {"candidates", s.steps.size()},
          {"reruns_per_candidate", s.runs},
          {"failures_to_keep", s.keep},
          {"confirmation", {{"ran", s.confirmed}, {"runs", s.confirmation.runs}, {"failures", s.confirmation.failures},
                            {"verdicts", s.confirmation.verdicts}, {"run_dirs", s.confirmation.run_dirs}}},
          {"interrupted", s.interrupted},
          {"over_budget", s.over_budget},
          {"budget_s", static_cast<double>(s.budget) / 1e9},
          {"elapsed_s", static_cast<double>(s.elapsed) / 1e9},
          {"waited_s", static_cast<double>(s.waited) / 1e9}};
}

Result<void> write_shrink_report(const std::filesystem::path& file, const ShrinkSummary& s) {
  const auto dir = file.parent_path();
  std::string html = R"(<!doctype html><html><head><meta charset="utf-8"><title>faultline shrink</title>
<style>body{font-family:sans-serif;margin:2em;max-width:70em}table{border-collapse:collapse;margin:.5em 0}
td,th{border:1px solid #ccc;padding:.2em .5em;text-align:left;font-size:90%}code{font-size:90%}
.ok{color:#080}.bad{color:#b00}</style></head><body>
)";
  html += fmt::format("<h1>faultline shrink: {}</h1>\n", html_escape(s.suite));
  html += "<section id=\"shrink\"><h2>Shrink</h2>\n";
  html += fmt::format(
      "<p>Original run: <a href=\"{}\">{}</a> (<a href=\"{}\">results.json</a>), {} faults over {}, failing as "
      "<b>{}</b>.</p>\n",
      html_escape(relative_link(dir, s.original_run / "report.html")), html_escape(s.original_run.string()),
      html_escape(relative_link(dir, s.original_run / "results.json")), s.original_faults.size(),
      html_escape(short_duration(s.original_duration)), html_escape(s.failure));
  html += fmt::format("<p>Shrunk schedule: <a href=\"shrunk.yaml\">shrunk.yaml</a>, {} fault{} over {}.</p>\n",
                      s.shrunk.faults.size(), s.shrunk.faults.size() == 1 ? "" : "s",
                      html_escape(short_duration(s.shrunk.duration)));
  html += fault_table(s.shrunk.faults);
  if (s.confirmed) {
    html += fmt::format("<p>Confirmation: <b class=\"{}\">{} of {}</b> reruns of shrunk.yaml failed the same way.</p><ul>\n",
                        s.confirmation.failures > 0 ? "bad" : "ok", s.confirmation.failures, s.confirmation.runs);
    for (std::size_t i = 0; i < s.confirmation.run_dirs.size() && i < s.confirmation.verdicts.size(); ++i)
      html += fmt::format("<li>shrunk run {}: <a href=\"{}\">{}</a> — {}</li>\n", i + 1,
                          html_escape(relative_link(dir, std::filesystem::path(s.confirmation.run_dirs[i]) / "report.html")),
                          html_escape(relative_link(dir, s.confirmation.run_dirs[i])),
                          html_escape(s.confirmation.verdicts[i]));
    html += "</ul>\n";
  } else {
    html += "<p>Not confirmed (interrupted before any confirmation rerun): shrunk.yaml is the best schedule found so "
            "far.</p>\n";
  }
  html += fmt::format("<p>{} candidates, up to {} reruns each (kept when {} failed the same way); {} of a {} budget{}{}{}. Steps: <a href=\"steps.jsonl\">steps.jsonl</a>.</p>\n",
                      s.steps.size(), s.runs, s.keep, html_escape(short_duration(s.elapsed)), html_escape(format_duration(s.budget)),
                      s.waited > 0 ? html_escape(fmt::format(", besides {} waiting for --wrap", short_duration(s.waited))) : "",
                      s.over_budget ? " (budget spent: the search stopped early)" : "",
                      s.interrupted ? " (interrupted)" : "");
  html += "<table><tr><th>#</th><th>phase</th><th>change</th><th>faults</th><th>run length</th><th>reruns</th><th>verdicts</th><th>kept</th></tr>\n";
  for (const auto& step : s.steps) {
    std::string verdicts;
    for (std::size_t i = 0; i < step.verdicts.size(); ++i)
      verdicts += fmt::format("{}<a href=\"{}\">{}</a>", i ? ", " : "",
                              html_escape(relative_link(dir, std::filesystem::path(step.run_dirs[i]) / "report.html")),
                              html_escape(step.verdicts[i]));
    html += fmt::format("<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>\n",
                        step.candidate, html_escape(step.phase), html_escape(step.change), step.faults,
                        html_escape(short_duration(step.duration)), step.reruns, verdicts,
                        step.accepted ? "<b>yes</b>" : (step.cut_short ? "cut short" : "no"));
  }
  html += "</table>\n<h3>Original schedule (as executed)</h3>\n" + fault_table(s.original_faults);
  html += "</section></body></html>\n";
  std::ofstream out(file, std::ios::trunc);
  out << html;
  out.close();
  if (!out) return io_error(fmt::format("{}: cannot write", file.string()));
  return ok_result();
}

}  // namespace faultline::controller::shrink
