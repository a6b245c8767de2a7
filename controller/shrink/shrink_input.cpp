#include "controller/shrink/shrink_input.h"

#include <fmt/format.h>

namespace faultline::controller::shrink {

Result<ShrinkInput> shrink_input(const std::filesystem::path& run_dir, const std::vector<std::string>& findings,
                                 const std::filesystem::path& suite) {
  auto run = load_recorded_run(run_dir);
  if (!run) return run.error();
  const std::string dir = run_dir.string();
  if (run->exit_code == 0)
    return invalid_input(fmt::format("{}: the run passed (valid): there is no failure to shrink; shrink takes a "
                                     "failing run (exit 1, a checker invalid)",
                                     dir));
  ShrinkInput input{std::move(*run), {}};
  input.failure = failure_signature(input.run.results);
  if (input.failure.empty())
    return invalid_input(fmt::format("{}: the run's verdict is {} (exit {}), not a checker's finding: there is no "
                                     "failure to reproduce; shrink takes a failing run (exit 1)",
                                     dir, input.run.results.value("valid", nlohmann::json()).dump(), input.run.exit_code));
  if (!findings.empty()) {
    FailureSignature narrowed;
    for (const auto& want : findings)
      for (const auto& f : input.failure)
        if (want == f.first || want == f.first + ":" + f.second) narrowed.insert(f);
    if (narrowed.empty())
      return invalid_input(fmt::format("{}: --finding matches none of the run's findings ({})", dir, describe(input.failure)));
    input.failure = narrowed;
  }
  if (input.run.faults.empty())
    return invalid_input(fmt::format("{}: the run executed no faults: there is no schedule to shrink", dir));
  if (!suite.empty()) input.run.suite_path = suite;
  std::error_code ec;
  if (input.run.suite_path.empty() || !std::filesystem::exists(input.run.suite_path, ec))
    return invalid_input(fmt::format("{}: the run's suite file '{}' is not there (give it with --suite FILE)", dir,
                                     input.run.suite_path.string()));
  return input;
}

}  // namespace faultline::controller::shrink
