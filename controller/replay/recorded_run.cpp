#include "controller/replay/recorded_run.h"

#include <fstream>

#include <fmt/format.h>

namespace faultline::controller {
namespace {

Result<nlohmann::json> read_json(const std::filesystem::path& file) {
  std::ifstream in(file);
  if (!in) return invalid_input(fmt::format("{}: cannot read", file.string()));
  auto j = nlohmann::json::parse(in, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return invalid_input(fmt::format("{}: not a JSON object", file.string()));
  return j;
}

template <typename T>
T get_or(const nlohmann::json& j, const char* key, T fallback) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return fallback;
  try {
    return it->get<T>();
  } catch (const nlohmann::json::exception&) {
    return fallback;
  }
}

}  // namespace

Result<RecordedRun> load_recorded_run(const std::filesystem::path& dir) {
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec))
    return invalid_input(fmt::format("{}: not a run directory (expected OUT/<suite>/<time>/)", dir.string()));
  const auto file = dir / "results.json";
  if (!std::filesystem::exists(file, ec))
    return invalid_input(fmt::format("{}: no results.json: not a finished faultline run (a run killed before "
                                     "its end writes none)",
                                     dir.string()));
  auto results = read_json(file);
  if (!results) return results.error();
  const auto& j = *results;

  RecordedRun run;
  run.dir = std::filesystem::absolute(dir, ec).lexically_normal();
  run.results = j;
  run.suite = get_or<std::string>(j, "suite", "");
  auto path = get_or<std::string>(j, "suite_path", "");
  run.suite_path = path.empty() ? get_or<std::string>(j, "suite_file", "") : path;
  run.sets = get_or<std::vector<std::string>>(j, "sets", {});
  run.seed = get_or<std::uint64_t>(j, "seed", 0);
  run.exit_code = get_or<int>(j, "exit_code", -1);
  run.duration = get_or<Nanos>(j, "duration_ns", 0);
  if (!j.contains("schedule_zero_ns"))
    return invalid_input(fmt::format("{}: has no schedule_zero_ns (written by an older faultline): cannot replay",
                                     file.string()));
  if (j["schedule_zero_ns"].is_null())
    return invalid_input(fmt::format("{}: the run stopped before its SUT was up: it ran no schedule", file.string()));
  run.schedule_zero = get_or<Nanos>(j, "schedule_zero_ns", 0);

  for (const auto& f : j.value("faults", nlohmann::json::array())) {
    ScheduledFault fault;
    fault.id = get_or<std::string>(f, "id", "");
    if (!f.contains("spec") || !f["spec"].is_object())
      return invalid_input(fmt::format("{}: fault {} has no spec (written by an older faultline): cannot replay",
                                       file.string(), fault.id));
    fault.spec = f["spec"];
    fault.targets = get_or<std::vector<std::string>>(f, "targets", {});
    if (f.contains("grudge") && f["grudge"].is_object()) fault.grudge = f["grudge"].get<Grudge>();
    if (fault.targets.empty()) continue;  // applied nowhere: it never ran
    const Nanos start = get_or<Nanos>(f, "start", 0);
    const Nanos end = get_or<Nanos>(f, "end", run.duration);
    fault.start = std::max<Nanos>(0, start - run.schedule_zero);
    fault.end = std::max(fault.start, end - run.schedule_zero);
    fault.where = fmt::format("{} fault {}", file.string(), fault.id);
    run.faults.push_back(std::move(fault));
  }
  std::stable_sort(run.faults.begin(), run.faults.end(), [](const auto& a, const auto& b) { return a.start < b.start; });
  return run;
}

nlohmann::json replay_record(const RecordedRun& run) {
  return {{"run", run.dir.string()}, {"suite", run.suite}, {"seed", run.seed}, {"faults", run.faults.size()}};
}

}  // namespace faultline::controller
