// report.html writer: sections, data, findings with context, escaping of
// hostile history strings, well-formed markup, downsampling, and the page
// without Chart.js.
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

#include <gtest/gtest.h>

#include "checkers/history/edn_reader.h"
#include "checkers/linearizable/linearizable_checker.h"
#include "controller/report/chartjs.h"
#include "controller/report/findings_html.h"
#include "controller/report/html.h"
#include "controller/report/report.h"
#include "tests/controller/report/sample_history.h"

namespace faultline {
namespace {

using nlohmann::json;

struct TempDir {
  std::filesystem::path path;
  TempDir() {
    path = std::filesystem::temp_directory_path() / ("fl-report-" + std::to_string(::getpid()) + "-" +
                                                    std::to_string(reinterpret_cast<std::uintptr_t>(this)));
    std::filesystem::create_directories(path);
  }
  ~TempDir() { std::filesystem::remove_all(path); }
};

std::string slurp(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::size_t count(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto pos = text.find(what); pos != std::string::npos; pos = text.find(what, pos + 1)) ++n;
  return n;
}

// Checks that every non-void element is closed in order (script and style
// bodies skipped as raw text). Returns "" or the first problem.
std::string check_balanced(const std::string& html) {
  static const std::vector<std::string> kVoid{"meta", "br", "hr", "img", "input", "link", "col", "wbr"};
  std::vector<std::string> stack;
  std::size_t i = 0;
  while ((i = html.find('<', i)) != std::string::npos) {
    if (html.compare(i, 4, "<!--") == 0) {
      i = html.find("-->", i);
      if (i == std::string::npos) return "unclosed comment";
      continue;
    }
    if (html.compare(i, 2, "<!") == 0) {
      i = html.find('>', i);
      continue;
    }
    const bool closing = html[i + 1] == '/';
    std::size_t j = i + (closing ? 2 : 1);
    std::size_t k = j;
    while (k < html.size() && (std::isalnum(static_cast<unsigned char>(html[k])) || html[k] == '-')) ++k;
    std::string name = html.substr(j, k - j);
    for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    const std::size_t gt = html.find('>', k);
    if (name.empty() || gt == std::string::npos) return "stray '<' at offset " + std::to_string(i);
    if (closing) {
      if (stack.empty() || stack.back() != name)
        return "</" + name + "> at offset " + std::to_string(i) + " closes <" + (stack.empty() ? "" : stack.back()) + ">";
      stack.pop_back();
      i = gt + 1;
      continue;
    }
    i = gt + 1;
    if (std::find(kVoid.begin(), kVoid.end(), name) != kVoid.end() || html[gt - 1] == '/') continue;
    if (name == "script" || name == "style") {
      const std::size_t close = html.find("</" + name + ">", i);
      if (close == std::string::npos) return "unclosed <" + name + ">";
      i = close + name.size() + 3;
      continue;
    }
    stack.push_back(name);
  }
  return stack.empty() ? "" : "unclosed <" + stack.back() + ">";
}

json embedded_data(const std::string& html) {
  const std::string open = "<script type=\"application/json\" id=\"faultline-data\">";
  const auto a = html.find(open);
  const auto b = html.find("</script>", a);
  if (a == std::string::npos || b == std::string::npos) return json();
  return json::parse(html.substr(a + open.size(), b - a - open.size()));
}

TEST(ReportWriter, HandMadeHistoryHasEverySectionAndSeries) {
  TempDir dir;
  auto h = report_test::sample_history();
  std::size_t dead_at = 0;
  for (std::size_t i = 0; i < h.events.size(); ++i)
    if (auto* d = std::get_if<history::DetectorEvent>(&h.events[i].body); d && d->status == history::DetectorStatus::kDead)
      dead_at = i;
  auto check = report_test::sample_report(h, dead_at);
  ASSERT_TRUE(controller::write_report(dir.path / "report.html", h, &check, {{"suite", "demo"}, {"seed", 7}}).ok());
  const std::string html = slurp(dir.path / "report.html");
  EXPECT_EQ(html.rfind("<!DOCTYPE html>", 0), 0u);
  EXPECT_EQ(check_balanced(html), "");
  for (const char* id : {"summary", "timeline", "faults", "rate", "detector", "breaker", "latency", "throughput", "checkers"})
    EXPECT_NE(html.find(std::string("id=\"") + id + "\""), std::string::npos) << id;
  EXPECT_EQ(html.find("src=\"http"), std::string::npos);
  EXPECT_EQ(html.find("href=\"http"), std::string::npos);
  if (controller::report::load_chartjs()) {
    EXPECT_NE(html.find("Chart.js v"), std::string::npos);
    EXPECT_EQ(html.find("id=\"no-charts\""), std::string::npos);
  }

  const json data = embedded_data(html);
  ASSERT_TRUE(data.is_object());
  ASSERT_EQ(data["faults"].size(), 2u);
  EXPECT_EQ(data["faults"][0]["kind"], "partition");
  EXPECT_DOUBLE_EQ(data["faults"][0]["start"].get<double>(), 2.0);
  EXPECT_DOUBLE_EQ(data["faults"][0]["end"].get<double>(), 6.0);
  EXPECT_EQ(data["faults"][0]["grudge"]["n1"], json({"n3"}));
  EXPECT_EQ(data["faults"][1]["kind"], "kill");
  EXPECT_FALSE(data["faults"][1]["ended"].get<bool>());  // runs to the end of the history
  EXPECT_DOUBLE_EQ(data["faults"][1]["end"].get<double>(), data["end"].get<double>());
  std::vector<std::string> statuses;
  for (const auto& s : data["detector"]) statuses.push_back(s["kind"]);
  EXPECT_EQ(statuses, (std::vector<std::string>{"alive", "suspect", "dead"}));
  std::vector<std::string> states;
  for (const auto& s : data["breaker"]) states.push_back(s["kind"]);
  EXPECT_EQ(states, (std::vector<std::string>{"closed", "open", "half_open"}));
  EXPECT_EQ(data["breaker"][0]["row"], "n1 / to-n3");
  ASSERT_EQ(data["client"]["latency"].size(), 40u);
  EXPECT_NEAR(data["client"]["latency"][0]["y"].get<double>(), 5.0, 1e-6);  // invoke -> completion, ms
  std::set<std::string> types;
  for (const auto& p : data["client"]["latency"]) types.insert(p["type"]);
  EXPECT_EQ(types, (std::set<std::string>{"ok", "fail", "info"}));
  EXPECT_FALSE(data["client"]["throughput"].empty());
  EXPECT_TRUE(data["rates"].contains("detector"));

  // The finding with the events around it: the dead event's row is the focus.
  EXPECT_NE(html.find("n1 held n3 dead"), std::string::npos);
  const auto focus = html.find("<tr class=\"focus\">");
  ASSERT_NE(focus, std::string::npos);
  EXPECT_NE(html.substr(focus, 300).find("<td>" + std::to_string(h.events[dead_at].line) + "</td>"), std::string::npos);
}

TEST(ReportWriter, HostileStringsAreEscapedEverywhere) {
  TempDir dir;
  const std::string hostile = "<script>alert(1)</script><img src=x onerror=alert(2)>\"'&<!--";
  auto h = report_test::sample_history(hostile);
  auto check = report_test::sample_report(h, 5, hostile);
  ASSERT_TRUE(controller::write_report(dir.path / "report.html", h, &check, {{"suite", hostile}, {hostile, hostile}}).ok());
  const std::string html = slurp(dir.path / "report.html");
  EXPECT_EQ(html.find("alert(1)</script>"), std::string::npos);
  EXPECT_EQ(html.find("<img"), std::string::npos);
  EXPECT_EQ(html.find("<!--"), std::string::npos);
  const std::size_t scripts = controller::report::load_chartjs() ? 3u : 2u;  // Chart.js, the data, the page script
  EXPECT_EQ(count(html, "<script"), scripts);
  EXPECT_EQ(count(html, "</script>"), scripts);
  EXPECT_EQ(check_balanced(html), "");
  EXPECT_NE(html.find("&lt;script&gt;alert(1)&lt;/script&gt;"), std::string::npos);  // shown as text
  const json data = embedded_data(html);
  ASSERT_TRUE(data.is_object());
  EXPECT_EQ(data["nodes"][2], hostile);  // round-trips intact through the JSON escapes
  EXPECT_EQ(controller::report::html_escape("a<b>&\"'"), "a&lt;b&gt;&amp;&quot;&#39;");
  EXPECT_EQ(controller::report::json_for_script(json("</script>")), "\"\\u003c/script\\u003e\"");
  EXPECT_EQ(controller::report::js_for_script("x='</SCRIPT>'"), "x='<\\/SCRIPT>'");
}

TEST(ReportWriter, WithoutChartJsSaysSoAndKeepsTables) {
  TempDir dir;
  ::setenv("FAULTLINE_CHARTJS", (dir.path / "missing.js").c_str(), 1);
  auto h = report_test::sample_history();
  const bool written = controller::write_report(dir.path / "report.html", h, nullptr, {{"suite", "demo"}}).ok();
  ::unsetenv("FAULTLINE_CHARTJS");
  ASSERT_TRUE(written);
  const std::string html = slurp(dir.path / "report.html");
  EXPECT_NE(html.find("id=\"no-charts\""), std::string::npos);
  EXPECT_EQ(html.find("Chart.js v"), std::string::npos);
  EXPECT_NE(html.find("<table id=\"faults\">"), std::string::npos);
  EXPECT_NE(html.find("No checker ran."), std::string::npos);
  EXPECT_EQ(check_balanced(html), "");
}

TEST(ReportWriter, LargeHistoryIsDownsampled) {
  using namespace history;
  History h;
  h.nodes = {"n1", "n2"};
  const std::size_t ops = 100'000;
  for (std::size_t i = 0; i < ops; ++i) {
    const Nanos t = static_cast<Nanos>(i) * 20'000'000;  // 2000 s of history
    ClientEvent inv;
    inv.process = static_cast<std::int64_t>(i % 8);
    inv.f = "read";
    h.events.push_back(Event{t, h.events.size(), h.events.size() + 1, inv, {}});
    ClientEvent done = inv;
    done.type = i % 1000 == 0 ? OpType::kFail : OpType::kOk;
    h.events.push_back(Event{t + 1'000'000, h.events.size(), h.events.size() + 1, done, {}});
  }
  auto data = controller::report_data(h, nullptr, {});
  EXPECT_EQ(data["client"]["ops"], ops);
  EXPECT_TRUE(data["client"]["sampled"].get<bool>());
  EXPECT_LE(data["client"]["latency"].size(), 4000u);
  std::size_t fails = 0;
  for (const auto& p : data["client"]["latency"]) fails += p["type"] == "fail";
  EXPECT_EQ(fails, ops / 1000);  // every failure kept
  EXPECT_LE(data["client"]["throughput"].size(), 601u);
  EXPECT_LE(data["rates"]["invoke"].size(), 601u);
  TempDir dir;
  ASSERT_TRUE(controller::write_report(dir.path / "report.html", h, nullptr, {}).ok());
  EXPECT_LT(std::filesystem::file_size(dir.path / "report.html"), 2'000'000u);
}

TEST(ReportWriter, DrawsTheLinearizabilityViolation) {
  auto h = history::read_edn_history(R"([{:type :invoke, :f :write, :value 0, :process 0}
 {:type :ok, :f :write, :value 0, :process 0}
 {:type :invoke, :f :read, :value nil, :process 1}
 {:type :invoke, :f :write, :value 4, :process 2}
 {:type :ok, :f :read, :value 3, :process 1}
 {:type :ok, :f :write, :value 4, :process 2}])",
                                     "t.edn");
  ASSERT_TRUE(h.ok());
  checkers::CheckOptions options;
  options.model = "cas-register";
  options.initial = nullptr;
  auto r = checkers::make_linearizable_checker()->check(*h, options);
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->valid, checkers::Validity::kInvalid);
  checkers::CheckReport check;
  check.valid = checkers::Validity::kInvalid;
  check.results.push_back({"linearizable", *r});
  TempDir dir;
  ASSERT_TRUE(controller::write_report(dir.path / "report.html", *h, &check, {{"suite", "lin"}}).ok());
  const std::string html = slurp(dir.path / "report.html");
  EXPECT_NE(html.find("<h4>Linearizability violation</h4>"), std::string::npos);
  EXPECT_NE(html.find("<svg"), std::string::npos);
  EXPECT_NE(html.find("class=\"bad\""), std::string::npos);
  EXPECT_EQ(check_balanced(html), "");
}

TEST(ReportFindings, CollectsPointersNotEventReferences) {
  const json findings = {{"valid", false},
                         {"timeline", {{{"time", 1}, {"line", 2}, {"f", "read"}}}},
                         {"divergences", {{{"kind", "late"}, {"at", {{"time", 5}, {"line", 3}}}, {"events", {{{"time", 4}, {"line", 2}}}}},
                                          {{"kind", "early"}, {"time", 9}}}},
                         {"context", {{{"time", 1}, {"line", 1}, {"event", {{"type", "x"}}}}}}};
  std::size_t total = 0;
  auto found = controller::report::collect_findings(findings, 10, &total);
  ASSERT_EQ(found.size(), 2u);
  EXPECT_EQ(total, 2u);
  EXPECT_EQ(found[0].line, 3u);
  EXPECT_EQ(found[0].object["kind"], "late");
  EXPECT_EQ(*found[1].time, 9);
  EXPECT_EQ(found[1].line, 0u);
}

}  // namespace
}  // namespace faultline

namespace faultline {
namespace {

// The detector checker's envelope rows become translucent spans on the
// detector chart's observer -> subject rows (docs/detector.md).
TEST(ReportWriter, DrawsTheDetectorEnvelope) {
  history::History h;
  h.nodes = {"n1", "n2"};
  h.events.push_back(history::Event{0, 0, 1, history::ClusterEvent{h.nodes}, {}});
  h.events.push_back(history::Event{30'000'000'000, 1, 2, history::LogEvent{"end"}, {}});
  checkers::CheckReport report;
  checkers::CheckResult r;
  r.findings = {{"valid", true},
                {"envelope", {{{"observer", "n1"}, {"subject", "n2"}, {"what", "detection"}, {"at", 10'000'000'000},
                               {"sut", 6'000'000'000}, {"allowed", 9'500'000'000}, {"verdict", "ok"},
                               {"reference", {{"trials", 64}, {"hits", 64}, {"min", 4'000'000'000}, {"max", 5'000'000'000}}}}}}};
  report.results.emplace_back("detector", r);
  auto data = controller::report_data(h, &report, {});
  ASSERT_EQ(data["detector_envelope"].size(), 2u) << data["detector_envelope"];
  EXPECT_EQ(data["detector_envelope"][0]["row"], "n1 → n2");
  EXPECT_EQ(data["detector_envelope"][0]["kind"], "reference range");
  EXPECT_DOUBLE_EQ(data["detector_envelope"][0]["start"].get<double>(), 14.0);
  EXPECT_DOUBLE_EQ(data["detector_envelope"][0]["end"].get<double>(), 15.0);
  EXPECT_EQ(data["detector_envelope"][1]["kind"], "reference allows");
  EXPECT_DOUBLE_EQ(data["detector_envelope"][1]["end"].get<double>(), 19.5);
}

}  // namespace
}  // namespace faultline
