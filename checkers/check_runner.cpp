// run_checkers (checker.h): picks the checkers, hands each its config section
// and the shared deadline, and folds the verdicts.
#include <algorithm>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "checkers/checker.h"

namespace faultline::checkers {
namespace {

// The events of the kinds a checker judges: its own event type, or the
// client operations for linearizability.
std::uint64_t events_judged(const history::History& history, const std::string& checker) {
  std::uint64_t n = 0;
  for (const auto& e : history.events) {
    const auto& b = e.body;
    if (checker == "linearizable" || checker == "availability") n += std::holds_alternative<history::ClientEvent>(b);
    else if (checker == "detector") n += std::holds_alternative<history::DetectorEvent>(b);
    else if (checker == "breaker") n += std::holds_alternative<history::BreakerEvent>(b);
    else if (checker == "retry") n += std::holds_alternative<history::RetryEvent>(b);
  }
  return n;
}

}  // namespace

Result<CheckReport> run_checkers(const history::History& history, const RunOptions& options) {
  const auto known = checker_names();
  if (!options.config.is_object())
    return invalid_input("config: the document must be an object with a section per checker");
  for (auto it = options.config.begin(); it != options.config.end(); ++it) {
    if (std::find(known.begin(), known.end(), it.key()) == known.end())
      return invalid_input(fmt::format("config: unknown section \"{}\" (sections: {})", it.key(), fmt::join(known, ", ")));
    if (!it.value().is_object() && !it.value().is_null())
      return invalid_input(fmt::format("config: section \"{}\" must be an object", it.key()));
  }

  std::vector<std::unique_ptr<Checker>> chosen;
  if (options.names.empty()) {
    for (const auto& name : known) {
      auto checker = make_checker(name);
      if (checker && checker->applies(history)) chosen.push_back(std::move(checker));
    }
  } else {
    for (const auto& name : options.names) {
      auto checker = make_checker(name);
      if (!checker)
        return invalid_input(fmt::format("unknown checker \"{}\" (known: {})", name, fmt::join(known, ", ")));
      bool dup = std::any_of(chosen.begin(), chosen.end(), [&](const auto& c) { return c->name() == name; });
      if (!dup) chosen.push_back(std::move(checker));
    }
  }

  CheckOptions base;
  base.model = options.model;
  base.initial = options.initial;
  base.deadline = options.timeout > 0 ? monotonic_now() + options.timeout : 0;

  CheckReport report;
  bool any_invalid = false, any_unknown = false;
  for (auto& checker : chosen) {
    CheckOptions opts = base;
    auto section = options.config.find(checker->name());
    if (section != options.config.end() && section->is_object()) opts.config = *section;
    const Nanos started = monotonic_now();
    auto result = checker->check(history, opts);
    if (!result) return result.error().with_context(checker->name());
    result->wall = monotonic_now() - started;
    result->events = events_judged(history, checker->name());
    any_invalid |= result->valid == Validity::kInvalid;
    any_unknown |= result->valid == Validity::kUnknown;
    report.results.emplace_back(checker->name(), std::move(result).value());
  }
  report.valid = any_invalid ? Validity::kInvalid : any_unknown ? Validity::kUnknown : Validity::kValid;
  return report;
}

}  // namespace faultline::checkers
