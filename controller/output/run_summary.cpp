#include "controller/output/run_summary.h"

#include <fstream>

#include <fmt/format.h>

#include "controller/output/exit_codes.h"
#include "controller/output/validity.h"

namespace faultline::controller {
namespace {

Result<void> write_file(const std::filesystem::path& file, const std::string& text) {
  std::ofstream out(file, std::ios::trunc);
  if (!out) return io_error(fmt::format("{}: cannot create", file.string()));
  out << text;
  out.close();
  if (!out) return io_error(fmt::format("{}: write failed", file.string()));
  return ok_result();
}

double seconds(Nanos ns) { return static_cast<double>(ns) / 1e9; }

struct Case {
  enum Status { kPass, kFail, kError, kSkip };
  Case(std::string classname_, std::string name_, double time_, Status status_ = kPass, std::string message_ = {},
       std::string detail_ = {})
      : classname(std::move(classname_)), name(std::move(name_)), time(time_), status(status_),
        message(std::move(message_)), detail(std::move(detail_)) {}
  std::string classname, name;
  double time = 0;
  Status status = kPass;
  std::string message, detail;
};

}  // namespace

checkers::Validity RunSummary::verdict() const {
  if (check && check->valid == checkers::Validity::kInvalid) return checkers::Validity::kInvalid;
  if (!check || interrupted || !errors.empty() || !healed_verified) return checkers::Validity::kUnknown;
  for (const auto& f : faults)
    if (!f.errors.empty()) return checkers::Validity::kUnknown;
  return check->valid;
}

int RunSummary::exit_code() const {
  switch (verdict()) {
    case checkers::Validity::kValid: return kExitValid;
    case checkers::Validity::kInvalid: return kExitInvalid;
    case checkers::Validity::kUnknown: return kExitUnknown;
  }
  return kExitUnknown;
}

nlohmann::json RunSummary::to_json() const {
  nlohmann::json j;
  j["suite"] = suite;
  j["suite_file"] = suite_file;
  j["suite_path"] = suite_path;
  j["sets"] = sets;
  j["valid"] = validity_json(verdict());
  j["exit_code"] = exit_code();
  j["started_at"] = started_at;
  j["duration_ns"] = duration;
  j["nodes"] = nodes;
  j["seed"] = seed;
  j["provider"] = provider;
  j["schedule_zero_ns"] = schedule_zero >= 0 ? nlohmann::json(schedule_zero) : nlohmann::json(nullptr);
  if (!replay_of.is_null()) j["replay_of"] = replay_of;
  j["interrupted"] = interrupted;
  j["healed_verified"] = healed_verified;
  j["errors"] = errors;
  j["warnings"] = warnings;
  auto faults_json = nlohmann::json::array();
  for (const auto& f : faults) {
    nlohmann::json fj{{"id", f.id}, {"kind", f.kind}, {"start", f.start}, {"targets", f.targets}};
    fj["end"] = f.end >= 0 ? nlohmann::json(f.end) : nlohmann::json(nullptr);
    if (!f.errors.empty()) fj["errors"] = f.errors;
    if (!f.spec.is_null()) fj["spec"] = f.spec;
    if (!f.grudge.is_null()) fj["grudge"] = f.grudge;
    faults_json.push_back(fj);
  }
  j["faults"] = faults_json;
  if (check) {
    auto by_name = nlohmann::json::object();
    for (const auto& [name, result] : check->results) {
      auto findings = result.findings.is_object() ? result.findings : nlohmann::json::object();
      findings["valid"] = validity_json(result.valid);
      findings["check_seconds"] = seconds(result.wall);
      findings["events_checked"] = result.events;
      by_name[name] = findings;
    }
    j["checkers"] = by_name;
  } else {
    j["checkers"] = nlohmann::json::object();
    j["check_error"] = check_error;
  }
  return j;
}

Result<void> write_results(const std::filesystem::path& file, const RunSummary& summary) {
  return write_file(file, summary.to_json().dump(2) + "\n");
}

std::string xml_escape(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (unsigned char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&apos;"; break;
      default:
        if (c < 0x20 && c != '\n' && c != '\t' && c != '\r') out += fmt::format("&#x{:x};", c == 0 ? 0xfffd : 0xfffd);
        else out += static_cast<char>(c);
    }
  }
  return out;
}

Result<void> write_junit(const std::filesystem::path& file, const RunSummary& summary) {
  std::vector<Case> cases;
  const std::string base = "faultline." + summary.suite;
  {
    Case run{base + ".run", "faults applied and healed", seconds(summary.duration)};
    std::string problems;
    for (const auto& e : summary.errors) problems += e + "\n";
    for (const auto& f : summary.faults)
      for (const auto& e : f.errors) problems += fmt::format("{} ({}): {}\n", f.id, f.kind, e);
    if (summary.interrupted) problems += "run interrupted\n";
    if (!summary.healed_verified) problems += "heal not verified on every agent\n";
    if (!problems.empty()) {
      run.status = Case::kError;
      run.message = "the run did not complete cleanly";
      run.detail = problems;
    }
    cases.push_back(run);
  }
  if (!summary.check) {
    cases.push_back({base + ".checkers", "checkers", 0, Case::kError, "checkers did not run", summary.check_error});
  } else {
    for (const auto& [name, result] : summary.check->results) {
      Case c{base + ".checker", name, seconds(result.wall)};
      if (result.valid == checkers::Validity::kInvalid) {
        c.status = Case::kFail;
        c.message = fmt::format("{} checker: invalid", name);
      } else if (result.valid == checkers::Validity::kUnknown) {
        c.status = Case::kSkip;
        c.message = fmt::format("{} checker: unknown", name);
      }
      c.detail = result.text.empty() ? result.findings.dump(2) : result.text;
      cases.push_back(c);
      if (!result.findings.is_object()) continue;
      for (auto& [key, value] : result.findings.items()) {
        if (!value.is_object() || !value.contains("valid")) continue;
        Case p{base + ".checker." + name, key, 0};
        const auto& v = value["valid"];
        if (v.is_boolean() && !v.get<bool>()) {
          p.status = Case::kFail;
          p.message = fmt::format("{}: {} does not hold", name, key);
        } else if (!v.is_boolean()) {
          p.status = Case::kSkip;
          p.message = fmt::format("{}: {} unknown", name, key);
        }
        p.detail = value.dump(2);
        cases.push_back(p);
      }
    }
  }
  int failures = 0, errors = 0, skipped = 0;
  for (const auto& c : cases) {
    failures += c.status == Case::kFail;
    errors += c.status == Case::kError;
    skipped += c.status == Case::kSkip;
  }
  std::string timestamp = summary.started_at.size() >= 19 ? summary.started_at.substr(0, 19) : "1970-01-01T00:00:00";
  std::string xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  xml += fmt::format("<testsuites name=\"faultline\" tests=\"{}\" failures=\"{}\" errors=\"{}\" time=\"{:.3f}\">\n",
                     cases.size(), failures, errors, seconds(summary.duration));
  xml += fmt::format(
      "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"{}\" skipped=\"{}\" time=\"{:.3f}\" "
      "timestamp=\"{}\" hostname=\"localhost\">\n",
      xml_escape(summary.suite), cases.size(), failures, errors, skipped, seconds(summary.duration), timestamp);
  xml += "    <properties>\n";
  auto prop = [&](const std::string& name, const std::string& value) {
    xml += fmt::format("      <property name=\"{}\" value=\"{}\"/>\n", xml_escape(name), xml_escape(value));
  };
  prop("suite_file", summary.suite_file);
  prop("seed", std::to_string(summary.seed));
  prop("provider", summary.provider);
  prop("verdict", validity_json(summary.verdict()).dump());
  if (summary.check)
    for (const auto& [name, result] : summary.check->results) {
      prop(name + ".check_seconds", fmt::format("{:.3f}", seconds(result.wall)));
      prop(name + ".events_checked", std::to_string(result.events));
      // A checker's flat "properties" (the availability checker's recovery
      // times per fault) become <property name="CHECKER.KEY">.
      if (result.findings.is_object() && result.findings.contains("properties") && result.findings["properties"].is_object())
        for (auto& [key, value] : result.findings["properties"].items())
          prop(name + "." + key, value.is_string() ? value.get<std::string>() : value.dump());
    }
  for (const auto& w : summary.warnings) prop("warning", w);
  xml += "    </properties>\n";
  for (const auto& c : cases) {
    xml += fmt::format("    <testcase name=\"{}\" classname=\"{}\" time=\"{:.3f}\"", xml_escape(c.name),
                       xml_escape(c.classname), c.time);
    if (c.status == Case::kPass && c.detail.empty()) {
      xml += "/>\n";
      continue;
    }
    xml += ">\n";
    const char* tag = c.status == Case::kFail ? "failure" : c.status == Case::kError ? "error" : c.status == Case::kSkip ? "skipped" : nullptr;
    if (tag) {
      if (c.status == Case::kSkip)
        xml += fmt::format("      <skipped message=\"{}\"/>\n", xml_escape(c.message));
      else
        xml += fmt::format("      <{} message=\"{}\" type=\"{}\">{}</{}>\n", tag, xml_escape(c.message), tag,
                           xml_escape(c.detail), tag);
    }
    if (!c.detail.empty()) xml += fmt::format("      <system-out>{}</system-out>\n", xml_escape(c.detail));
    xml += "    </testcase>\n";
  }
  xml += "  </testsuite>\n</testsuites>\n";
  return write_file(file, xml);
}

}  // namespace faultline::controller
