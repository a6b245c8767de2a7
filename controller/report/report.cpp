#include "controller/report/report.h"

#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>

#include <fmt/format.h>

#include "controller/output/run_summary.h"
#include "controller/output/validity.h"

namespace faultline::controller {
namespace {

double secs(history::Nanos ns) { return static_cast<double>(ns) / 1e9; }

std::string read_chartjs() {
  const char* env = std::getenv("FAULTLINE_CHARTJS");
  std::string path = env && *env ? env : "/usr/share/javascript/chart.js/chart.min.js";
  std::ifstream in(path);
  if (!in) return {};
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

// Makes text safe inside <script>: no "</" sequences.
std::string script_safe(std::string text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '<' && i + 1 < text.size() && text[i + 1] == '/') {
      out += "<\\/";
      ++i;
    } else {
      out += text[i];
    }
  }
  return out;
}

constexpr const char* kStyle = R"CSS(
body{font-family:system-ui,sans-serif;margin:1.5em;color:#222;max-width:1200px}
h1{font-size:1.5em}h2{font-size:1.2em;margin-top:1.6em;border-bottom:1px solid #ddd}
.verdict{display:inline-block;padding:.2em .7em;border-radius:4px;color:#fff;font-weight:bold}
.v-true{background:#2a7d2e}.v-false{background:#b3261e}.v-unknown{background:#a66f00}
table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ccc;padding:.25em .6em;text-align:left;vertical-align:top}
pre{background:#f6f6f6;padding:.5em;overflow:auto;max-height:24em}
.chart{position:relative;height:320px}.note{color:#a66f00}
)CSS";

constexpr const char* kScript = R"JS(
const data = JSON.parse(document.getElementById('faultline-data').textContent);
const palette = {partition:'#d62728',kill:'#111111',pause:'#7f7f7f',delay:'#1f77b4',loss:'#ff7f0e',
  duplicate:'#9467bd',corrupt:'#8c564b','clock-skew':'#e377c2','clock-drift':'#e377c2','clock-stop':'#e377c2',
  'disk-fill':'#bcbd22','disk-slow':'#17becf','corrupt-file':'#8c564b',bandwidth:'#2ca02c',reorder:'#aec7e8'};
const colour = k => palette[k] || '#555';
const end = Math.max(data.end, 1);
const shade = {id:'faultShade', beforeDatasetsDraw(chart) {
  const {ctx, chartArea, scales} = chart; if (!scales.x) return;
  ctx.save();
  for (const f of data.faults) {
    const x0 = scales.x.getPixelForValue(f.start), x1 = scales.x.getPixelForValue(f.end);
    ctx.fillStyle = colour(f.kind) + '22';
    ctx.fillRect(Math.max(x0, chartArea.left), chartArea.top, Math.min(x1, chartArea.right) - Math.max(x0, chartArea.left), chartArea.bottom - chartArea.top);
  }
  ctx.restore();
}};
function linear(title) { return {type:'linear', min:0, max:end, title:{display:true, text:title}}; }
function ganttChart(id, labels, spans, keyOf, colourOf) {
  const byKey = {};
  for (const s of spans) (byKey[keyOf(s)] = byKey[keyOf(s)] || []).push({x:[s.start, s.end], y:s.row, info:s.info});
  const datasets = Object.entries(byKey).map(([k, d]) => ({label:k, data:d, backgroundColor:colourOf(k), grouped:false, barPercentage:0.8}));
  new Chart(document.getElementById(id), {type:'bar', data:{labels, datasets},
    options:{indexAxis:'y', animation:false, maintainAspectRatio:false, scales:{x:linear('seconds'), y:{type:'category', labels}},
      plugins:{tooltip:{callbacks:{label:c => `${c.dataset.label} ${c.raw.info || ''} ${c.raw.x[0].toFixed(2)}s–${c.raw.x[1].toFixed(2)}s`}}}}});
}
if (typeof Chart === 'undefined') {
  document.querySelectorAll('.chart').forEach(e => e.outerHTML = '<p class="note">Charts unavailable: Chart.js (libjs-chart.js) was not found when the report was written.</p>');
} else {
  const spans = [];
  for (const f of data.faults) for (const n of f.targets) spans.push({start:f.start, end:f.end, row:n, kind:f.kind, info:f.id});
  ganttChart('timeline', data.nodes, spans, s => s.kind, colour);
  new Chart(document.getElementById('rate'), {type:'line', plugins:[shade],
    data:{datasets:Object.entries(data.rates).map(([t, pts], i) => ({label:t + ' events/s', data:pts, pointRadius:0, borderWidth:1.5,
      borderColor:['#1f77b4','#ff7f0e','#2ca02c','#9467bd','#8c564b','#17becf'][i % 6]}))},
    options:{animation:false, maintainAspectRatio:false, parsing:false, scales:{x:linear('seconds'), y:{beginAtZero:true}}}});
  if (data.detector.length) {
    const rows = [...new Set(data.detector.map(s => s.row))].sort();
    ganttChart('detector', rows, data.detector, s => s.kind, k => k === 'dead' ? '#b3261e' : '#f0a500');
  } else document.getElementById('detector').outerHTML = '<p>No detector events.</p>';
  if (data.client.latency.length) {
    const byType = {};
    for (const p of data.client.latency) (byType[p.type] = byType[p.type] || []).push({x:p.x, y:p.y});
    const c = {ok:'#2a7d2e', fail:'#b3261e', info:'#a66f00'};
    new Chart(document.getElementById('latency'), {type:'scatter', plugins:[shade],
      data:{datasets:Object.entries(byType).map(([t, d]) => ({label:t, data:d, pointRadius:2, backgroundColor:c[t] || '#555'}))},
      options:{animation:false, maintainAspectRatio:false, parsing:false, scales:{x:linear('seconds'), y:{type:'logarithmic', title:{display:true, text:'latency (ms)'}}}}});
    new Chart(document.getElementById('throughput'), {type:'line', plugins:[shade],
      data:{datasets:[{label:'completed ops/s', data:data.client.throughput, pointRadius:0, borderColor:'#1f77b4'}]},
      options:{animation:false, maintainAspectRatio:false, parsing:false, scales:{x:linear('seconds'), y:{beginAtZero:true}}}});
  } else {
    document.getElementById('latency').outerHTML = '<p>No client operations in this history.</p>';
    document.getElementById('throughput').remove();
  }
}
)JS";

}  // namespace

nlohmann::json report_data(const history::History& history, const checkers::CheckReport* check,
                           const nlohmann::json& metadata) {
  using namespace history;
  nlohmann::json data;
  data["metadata"] = metadata;
  data["nodes"] = history.nodes;
  const Nanos end_ns = history.end_time();
  data["end"] = secs(end_ns);
  // Faults: pair starts with ends; unended faults last to the end.
  auto faults = nlohmann::json::array();
  std::map<std::string, std::size_t> open;
  for (const auto& e : history.events) {
    const auto* f = std::get_if<FaultEvent>(&e.body);
    if (!f) continue;
    if (f->phase == FaultEvent::Phase::kStart) {
      nlohmann::json j{{"id", f->id}, {"kind", f->kind()}, {"start", secs(e.time)}, {"end", secs(end_ns)},
                       {"targets", f->targets}, {"fault", f->fault}};
      if (!f->grudge.empty()) j["grudge"] = f->grudge;
      open[f->id] = faults.size();
      faults.push_back(j);
    } else if (auto it = open.find(f->id); it != open.end()) {
      faults[it->second]["end"] = secs(e.time);
      open.erase(it);
    }
  }
  data["faults"] = faults;
  // Event rates per type, per second.
  std::map<std::string, std::map<long, int>> buckets;
  for (const auto& e : history.events) {
    std::string type = e.raw.is_object() ? e.raw.value("type", std::string("?")) : "?";
    if (type == "cluster" || type == "log" || type == "fault") continue;
    buckets[type][static_cast<long>(e.time / 1'000'000'000)]++;
  }
  nlohmann::json rates = nlohmann::json::object();
  const long last_second = static_cast<long>(end_ns / 1'000'000'000);
  for (const auto& [type, counts] : buckets) {
    auto points = nlohmann::json::array();
    for (long s = 0; s <= last_second; ++s) {
      auto it = counts.find(s);
      points.push_back({{"x", s + 0.5}, {"y", it == counts.end() ? 0 : it->second}});
    }
    rates[type] = points;
  }
  data["rates"] = rates;
  // Detector: spans where an observer holds a subject suspect or dead.
  auto detector = nlohmann::json::array();
  std::map<std::pair<std::string, std::string>, std::pair<Nanos, DetectorStatus>> state;
  auto close_span = [&](const std::pair<std::string, std::string>& key, Nanos until) {
    auto it = state.find(key);
    if (it == state.end() || it->second.second == DetectorStatus::kAlive) return;
    detector.push_back({{"row", key.first + "→" + key.second}, {"start", secs(it->second.first)}, {"end", secs(until)},
                        {"kind", to_string(it->second.second)}});
  };
  for (const auto& e : history.events) {
    const auto* d = std::get_if<DetectorEvent>(&e.body);
    if (!d) continue;
    auto key = std::make_pair(d->node, d->subject);
    auto it = state.find(key);
    if (it != state.end() && it->second.second == d->status) continue;
    close_span(key, e.time);
    state[key] = {e.time, d->status};
  }
  for (const auto& [key, value] : state) close_span(key, end_ns);
  data["detector"] = detector;
  // Client operations: latency of each completed invoke, throughput per second.
  auto latency = nlohmann::json::array();
  std::map<std::int64_t, Nanos> pending;
  std::map<long, int> completed;
  for (const auto& e : history.events) {
    const auto* c = std::get_if<ClientEvent>(&e.body);
    if (!c) continue;
    if (c->type == OpType::kInvoke) {
      pending[c->process] = e.time;
      continue;
    }
    auto it = pending.find(c->process);
    if (it == pending.end()) continue;
    latency.push_back({{"x", secs(it->second)}, {"y", std::max(0.001, static_cast<double>(e.time - it->second) / 1e6)},
                       {"type", to_string(c->type)}});
    if (c->type == OpType::kOk) completed[static_cast<long>(e.time / 1'000'000'000)]++;
    pending.erase(it);
  }
  auto throughput = nlohmann::json::array();
  if (!latency.empty())
    for (long s = 0; s <= last_second; ++s) {
      auto it = completed.find(s);
      throughput.push_back({{"x", s + 0.5}, {"y", it == completed.end() ? 0 : it->second}});
    }
  data["client"] = {{"latency", latency}, {"throughput", throughput}};
  auto checkers_json = nlohmann::json::array();
  if (check)
    for (const auto& [name, result] : check->results)
      checkers_json.push_back({{"name", name}, {"valid", validity_json(result.valid)}, {"text", result.text},
                               {"findings", result.findings}});
  data["checkers"] = checkers_json;
  data["valid"] = check ? validity_json(check->valid) : nlohmann::json("unknown");
  return data;
}

Result<void> write_report(const std::filesystem::path& file, const history::History& history,
                          const checkers::CheckReport* check, const nlohmann::json& metadata) {
  auto data = report_data(history, check, metadata);
  const std::string suite = metadata.value("suite", std::string("faultline run"));
  nlohmann::json verdict = metadata.contains("verdict") ? metadata["verdict"] : data["valid"];
  std::string verdict_text = verdict.is_boolean() ? (verdict.get<bool>() ? "valid" : "invalid") : "unknown";
  std::string verdict_class = verdict.is_boolean() ? (verdict.get<bool>() ? "v-true" : "v-false") : "v-unknown";

  std::string html = "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n";
  html += fmt::format("<title>faultline: {}</title>\n<style>{}</style>\n", xml_escape(suite), kStyle);
  auto chartjs = read_chartjs();
  if (!chartjs.empty()) html += "<script>" + script_safe(chartjs) + "</script>\n";
  html += "</head><body>\n";
  html += fmt::format("<h1>faultline: {} <span class=\"verdict {}\">{}</span></h1>\n", xml_escape(suite), verdict_class,
                      verdict_text);
  html += "<table id=\"summary\">\n";
  for (auto& [key, value] : metadata.items())
    html += fmt::format("<tr><th>{}</th><td>{}</td></tr>\n", xml_escape(key),
                        xml_escape(value.is_string() ? value.get<std::string>() : value.dump()));
  html += fmt::format("<tr><th>events</th><td>{}</td></tr><tr><th>faults</th><td>{}</td></tr></table>\n",
                      history.events.size(), data["faults"].size());
  html += "<h2>Fault timeline</h2><div class=\"chart\"><canvas id=\"timeline\"></canvas></div>\n";
  html += "<table id=\"faults\"><tr><th>id</th><th>kind</th><th>start (s)</th><th>end (s)</th><th>targets</th><th>spec</th></tr>\n";
  for (const auto& f : data["faults"]) {
    std::string targets;
    for (const auto& t : f["targets"]) targets += (targets.empty() ? "" : ", ") + t.get<std::string>();
    html += fmt::format("<tr><td>{}</td><td>{}</td><td>{:.3f}</td><td>{:.3f}</td><td>{}</td><td><code>{}</code>{}</td></tr>\n",
                        xml_escape(f["id"]), xml_escape(f["kind"]), f["start"].get<double>(), f["end"].get<double>(),
                        xml_escape(targets), xml_escape(f["fault"].dump()),
                        f.contains("grudge") ? "<br>grudge: <code>" + xml_escape(f["grudge"].dump()) + "</code>" : "");
  }
  html += "</table>\n";
  html += "<h2>Events per second</h2><div class=\"chart\"><canvas id=\"rate\"></canvas></div>\n";
  html += "<h2>Failure detector: suspicion by observer → subject</h2><div class=\"chart\"><canvas id=\"detector\"></canvas></div>\n";
  html += "<h2>Client latency and throughput</h2><div class=\"chart\"><canvas id=\"latency\"></canvas></div>"
          "<div class=\"chart\"><canvas id=\"throughput\"></canvas></div>\n";
  html += "<h2>Checkers</h2>\n";
  if (data["checkers"].empty()) html += "<p>No checker ran.</p>\n";
  for (const auto& c : data["checkers"]) {
    const auto& v = c["valid"];
    std::string cls = v.is_boolean() ? (v.get<bool>() ? "v-true" : "v-false") : "v-unknown";
    std::string txt = v.is_boolean() ? (v.get<bool>() ? "valid" : "invalid") : "unknown";
    html += fmt::format("<h3>{} <span class=\"verdict {}\">{}</span></h3>\n<pre>{}</pre>\n<details><summary>findings</summary><pre>{}</pre></details>\n",
                        xml_escape(c["name"]), cls, txt, xml_escape(c["text"]), xml_escape(c["findings"].dump(2)));
  }
  html += "<script type=\"application/json\" id=\"faultline-data\">" + script_safe(data.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)) + "</script>\n";
  html += std::string("<script>") + kScript + "</script>\n</body></html>\n";
  std::ofstream out(file, std::ios::trunc);
  if (!out) return io_error(fmt::format("{}: cannot create", file.string()));
  out << html;
  out.close();
  if (!out) return io_error(fmt::format("{}: write failed", file.string()));
  return ok_result();
}

}  // namespace faultline::controller
