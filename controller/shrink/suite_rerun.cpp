#include "controller/shrink/suite_rerun.h"

#include <csignal>
#include <ctime>
#include <fstream>

#include <fmt/format.h>

#include "common/process/launch.h"
#include "controller/shrink/suite_writer.h"

namespace faultline::controller::shrink {
namespace {

// OUT/<suite>/latest/results.json, whatever the suite's name.
std::filesystem::path find_results(const std::filesystem::path& out) {
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(out, ec)) {
    auto file = entry.path() / "latest" / "results.json";
    if (std::filesystem::exists(file, ec)) return file;
  }
  return {};
}

// results.json's started_at ("2026-12-07T15:08:01Z") as seconds since the epoch, or -1.
std::time_t started_at(const nlohmann::json& results) {
  std::tm tm{};
  const std::string text = results.value("started_at", std::string());
  if (text.empty() || !::strptime(text.c_str(), "%Y-%m-%dT%H:%M:%SZ", &tm)) return -1;
  return ::timegm(&tm);
}

}  // namespace

Result<std::filesystem::path> SuiteRerunner::write_suite(const Candidate& candidate,
                                                         const std::filesystem::path& file) const {
  auto yaml = schedule_suite_yaml(setup_.suite_file, setup_.sets, candidate.faults, candidate.duration, setup_.seed,
                                  setup_.metadata);
  if (!yaml) return yaml.error();
  std::error_code ec;
  std::filesystem::create_directories(file.parent_path(), ec);
  std::ofstream out(file, std::ios::trunc);
  out << *yaml;
  out.close();
  if (!out) return io_error(fmt::format("{}: cannot write", file.string()));
  return file;
}

RerunOutcome SuiteRerunner::operator()(const RerunRequest& request) {
  RerunOutcome outcome;
  const std::string name = request.number == 0 ? fmt::format("confirm-{}", request.attempt)
                                               : fmt::format("c{}-{}", request.number, request.attempt);
  const auto file = request.number == 0 ? setup_.work / "shrunk.yaml"
                                        : setup_.work / "candidates" / fmt::format("c{}.yaml", request.number);
  auto written = write_suite(request.candidate, file);
  if (!written) {
    error_ = written.error().message;
    outcome.stopped = true;
    return outcome;
  }
  const auto out = setup_.work / "runs" / name;
  const auto log = setup_.work / "runs" / (name + ".log");
  std::error_code ec;
  std::filesystem::remove_all(out, ec);
  std::filesystem::create_directories(out, ec);
  outcome.run_dir = out.string();

  process::LaunchOptions launch;
  launch.argv = setup_.wrap;
  for (const auto& arg : {setup_.faultline.string(), std::string("run"), file.string(), std::string("--out"),
                          out.string(), std::string("-q")})
    launch.argv.push_back(arg);
  if (!setup_.bin_dir.empty()) {
    launch.argv.push_back("--bin-dir");
    launch.argv.push_back(setup_.bin_dir);
  }
  launch.group = process::Group::kNewGroup;  // a terminal's Ctrl-C reaches us; we pass it on
  launch.out = process::Stream::append_to(log);
  launch.err = process::Stream::append_to(log);
  const std::time_t launched = std::time(nullptr);
  auto child = process::start(launch);
  if (!child) {
    error_ = fmt::format("starting {}: {}", launch.argv.front(), child.error().message);
    outcome.stopped = true;
    return outcome;
  }
  bool forwarded = false;
  int code = -1;
  for (;;) {
    auto waited = child->wait_for(200'000'000);
    if (waited) {
      code = *waited;
      break;
    }
    if (waited.error().code != ErrorCode::kTimeout) {
      error_ = waited.error().message;
      outcome.stopped = true;
      return outcome;
    }
    if (!forwarded && setup_.interrupted && setup_.interrupted()) {
      // The rerun's own process group: `faultline run` (and a --wrap such as
      // flock around it); its clients, agents and SUTs have groups of their own.
      child->signal(SIGINT);
      forwarded = true;
    }
  }
  if (forwarded) {
    outcome.stopped = true;
    outcome.verdict = "interrupted";
    return outcome;
  }
  auto results_file = find_results(out);
  nlohmann::json results;
  if (!results_file.empty()) {
    std::ifstream in(results_file);
    results = nlohmann::json::parse(in, nullptr, false);
    outcome.run_dir = results_file.parent_path().string();
  }
  if (code == 254 || code == 255 || !results.is_object()) {
    error_ = fmt::format("rerun {} of {} exited {}{} (log: {})", name, file.string(), code,
                         results.is_object() ? "" : " without results.json", log.string());
    outcome.stopped = true;
    outcome.verdict = fmt::format("error (exit {})", code);
    return outcome;
  }
  if (results.value("interrupted", false)) {
    outcome.stopped = true;
    outcome.verdict = "interrupted";
    return outcome;
  }
  if (!setup_.wrap.empty())  // whole seconds: lock waits are what it is for
    if (auto began = started_at(results); began > launched)
      outcome.waited = static_cast<Nanos>(began - launched) * 1'000'000'000;
  auto signature = failure_signature(results);
  outcome.same_way = fails_same_way(setup_.target, signature);
  const auto valid = results.value("valid", nlohmann::json());
  std::string verdict = valid.is_boolean() ? (valid.get<bool>() ? "valid" : "invalid") : "unknown";
  outcome.verdict = signature.empty() ? verdict : fmt::format("{} ({})", verdict, describe(signature));
  return outcome;
}

}  // namespace faultline::controller::shrink
