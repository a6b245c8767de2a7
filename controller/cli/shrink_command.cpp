// `faultline shrink RUN_DIR [--runs N] [--keep K] [--confirm N] [--budget DURATION] [--tail DURATION]
//                  [--finding CHECKER[:KIND]]... [--suite FILE] [--bin-dir DIR] [--wrap CMD]`
//
// From a failing run to a small schedule that still fails the same way
// (controller/shrink/search.h), by rerunning the run's suite with candidate
// schedules. Writes RUN_DIR/shrink/: shrunk.yaml (kept current as the search
// goes, so Ctrl-C leaves the best so far), steps.jsonl, summary.json,
// report.html, candidates/ and runs/. Exit: 0 the shrunk schedule failed the
// same way in at least one confirmation rerun, 1 it failed in none, 2
// interrupted (shrunk.yaml is the best so far, unconfirmed), 254 refused (a
// passing run, no results.json, ...), 255 a rerun could not run.
#include <chrono>
#include <cstdio>
#include <fstream>
#include <functional>
#include <optional>
#include <sstream>

#include <unistd.h>

#include <fmt/format.h>

#include "controller/cli/command.h"
#include "controller/run/runner.h"
#include "controller/run/signals.h"
#include "controller/shrink/search.h"
#include "controller/shrink/shrink_input.h"
#include "controller/shrink/shrink_report.h"
#include "controller/shrink/suite_rerun.h"
#include "controller/shrink/suite_writer.h"
#include "controller/suite/suite.h"

namespace faultline::cli {
namespace {

using namespace faultline::controller;
using namespace faultline::controller::shrink;

struct ShrinkArgs {
  std::string run_dir;
  int runs = 3;
  int keep = 3;
  int confirm = 0;  // 0: as --runs
  std::string budget = "30m";
  std::string tail = "8s";
  std::vector<std::string> findings;
  std::string suite;
  std::string bin_dir;
  std::string wrap;
};

std::string clock_text(Nanos ns) {
  long s = static_cast<long>(ns / 1'000'000'000);
  return fmt::format("{}m{:02}s", s / 60, s % 60);
}

// What each rerun needs: the run's suite, sets and seed, the failure to
// reproduce, and --bin-dir / --wrap as given.
RerunSetup rerun_setup(const ShrinkArgs& args, const ShrinkInput& input, const std::filesystem::path& work) {
  const RecordedRun& run = input.run;
  RerunSetup setup;
  setup.faultline = self_dir() / "faultline";
  setup.suite_file = run.suite_path;
  setup.sets = run.sets;
  setup.seed = run.seed;
  setup.work = work;
  setup.bin_dir = args.bin_dir;
  std::istringstream words(args.wrap);
  for (std::string w; words >> w;) setup.wrap.push_back(w);
  setup.target = input.failure;
  setup.metadata = {{"shrunk_from", run.dir.string()}, {"shrunk_failure", describe(input.failure)}};
  setup.interrupted = interrupted;
  return setup;
}

// Reruns the best schedule --confirm times (unless interrupted) and returns
// the exit code: 0 it failed the same way at least once, 1 never, 2
// interrupted, 255 a rerun could not run.
int confirm_best(const ShrinkArgs& args, const std::filesystem::path& work, const Candidate& best, Shrinker& shrinker,
                 const SuiteRerunner& rerunner, ShrinkSummary& summary) {
  if (interrupted()) {
    summary.interrupted = true;
    std::fprintf(stderr, "faultline shrink: interrupted: %s holds the best schedule so far (%zu faults), unconfirmed\n",
                 (work / "shrunk.yaml").string().c_str(), best.faults.size());
    return kExitUnknown;
  }
  const int confirm_runs = args.confirm > 0 ? args.confirm : args.runs;
  std::fprintf(stderr, "faultline shrink: confirming %s with %d reruns\n", (work / "shrunk.yaml").string().c_str(),
               confirm_runs);
  summary.confirmation = shrinker.confirm(best, confirm_runs);
  summary.confirmed = summary.confirmation.runs > 0;  // those that ran, even when cut short
  if (!rerunner.error().empty()) {
    std::fprintf(stderr, "faultline shrink: confirmation stopped: %s\n", rerunner.error().c_str());
    return kExitInternal;
  }
  if (interrupted()) {
    summary.interrupted = true;
    return kExitUnknown;
  }
  return summary.confirmation.failures > 0 ? kExitValid : kExitInvalid;
}

// The last lines on the terminal: original -> shrunk, the reproduction rate,
// the time spent, and the shrunk schedule fault by fault.
void print_outcome(const ShrinkSummary& summary, int candidates) {
  const Candidate& best = summary.shrunk;
  std::fprintf(stderr, "faultline shrink: %zu → %zu fault%s, run %s → %s; ", summary.original_faults.size(),
               best.faults.size(), best.faults.size() == 1 ? "" : "s", short_duration(summary.original_duration).c_str(),
               short_duration(best.duration).c_str());
  if (summary.confirmed)
    std::fprintf(stderr, "reproduced in %d of %d confirmation reruns; ", summary.confirmation.failures,
                 summary.confirmation.runs);
  std::fprintf(stderr, "%d candidates in %s (budget %s)", candidates, clock_text(summary.elapsed).c_str(),
               clock_text(summary.budget).c_str());
  if (summary.waited > 0)
    std::fprintf(stderr, ", besides %s waiting for --wrap (wall time %s)", clock_text(summary.waited).c_str(),
                 clock_text(summary.elapsed + summary.waited).c_str());
  std::fprintf(stderr, "\n");
  for (const auto& f : best.faults)
    std::fprintf(stderr, "faultline shrink:   %s %s at %s for %s on %s\n", f.id.c_str(), f.spec.dump().c_str(),
                 short_duration(f.start).c_str(), short_duration(f.end - f.start).c_str(),
                 f.kind() == "partition" ? nlohmann::json(f.grudge).dump().c_str() : nlohmann::json(f.targets).dump().c_str());
}

// Checks --budget, --tail, --runs, --confirm and --keep; prints what is wrong.
std::optional<std::pair<Nanos, Nanos>> budget_and_tail(const ShrinkArgs& args) {
  auto budget = parse_duration(args.budget);
  auto tail = parse_duration(args.tail);
  if (!budget || *budget <= 0 || !tail || *tail < 0) {
    std::fprintf(stderr, "faultline shrink: --budget and --tail take durations such as 30m, 8s\n");
    return std::nullopt;
  }
  if (args.runs < 1 || args.confirm < 0 || args.keep < 1 || args.keep > args.runs) {
    std::fprintf(stderr, "faultline shrink: --runs must be at least 1, --keep between 1 and --runs\n");
    return std::nullopt;
  }
  return std::pair{*budget, *tail};
}

// The search's progress on the terminal, and each step into steps.jsonl, the
// summary and (when kept) shrunk.yaml.
Observer progress_observer(Nanos budget, std::ofstream& steps_file, ShrinkSummary& summary,
                           std::function<void(const Candidate&)> write_best) {
  const bool tty = ::isatty(2) == 1;
  Observer observer;
  observer.on_rerun = [tty, budget](const RerunRequest& r, const RerunOutcome& o, Nanos elapsed) {
    std::string line = fmt::format("{} {} [{}] {} fault{}, {} run, rerun {}: {}{} · {} / {}",
                                   r.number ? "candidate" : "confirm", r.number ? std::to_string(r.number) : "",
                                   r.phase, r.candidate.faults.size(), r.candidate.faults.size() == 1 ? "" : "s",
                                   short_duration(r.candidate.duration), r.attempt, o.verdict,
                                   o.same_way ? " — same way" : "", clock_text(elapsed), clock_text(budget));
    std::fprintf(stderr, "%sfaultline shrink: %s\n", tty ? "\r\033[K" : "", line.c_str());
  };
  observer.on_step = [&steps_file, &summary, write_best](const Step& step, const Candidate& best) {
    summary.steps.push_back(step);
    steps_file << step_json(step).dump() << "\n";
    steps_file.flush();
    if (step.accepted) write_best(best);
    std::fprintf(stderr, "faultline shrink: candidate %d (%s: %s): failed the same way in %d of %d reruns, %s; best so far %zu fault%s\n",
                 step.candidate, step.phase.c_str(), step.change.c_str(), step.failures, step.reruns,
                 step.accepted ? "kept" : step.cut_short ? "cut short" : "dropped", best.faults.size(),
                 best.faults.size() == 1 ? "" : "s");
  };
  return observer;
}

int shrink_main(const ShrinkArgs& args) {
  auto limits = budget_and_tail(args);
  if (!limits) return kExitBadInput;
  const Nanos budget = limits->first;
  const Nanos tail = limits->second;
  auto input = shrink_input(args.run_dir, args.findings, args.suite);
  if (!input) {
    std::fprintf(stderr, "faultline shrink: %s\n", input.error().message.c_str());
    return kExitBadInput;
  }
  const RecordedRun& run = input->run;
  auto suite = load_suite(run.suite_path, run.sets);
  if (!suite) {
    std::fprintf(stderr, "faultline shrink: the run's suite no longer loads: %s\n", suite.error().message.c_str());
    return kExitBadInput;
  }

  const auto work = run.dir / "shrink";
  std::error_code ec;
  std::filesystem::remove_all(work, ec);
  std::filesystem::create_directories(work, ec);
  if (ec) {
    std::fprintf(stderr, "faultline shrink: %s: %s\n", work.string().c_str(), ec.message().c_str());
    return kExitInternal;
  }

  SignalScope signals;
  SuiteRerunner rerunner(rerun_setup(args, *input, work));

  ShrinkOptions options;
  options.runs = args.runs;
  options.keep = args.keep;
  options.budget = budget;
  options.tail = tail;
  Candidate original{run.faults, suite->duration};

  std::ofstream steps_file(work / "steps.jsonl", std::ios::trunc);
  ShrinkSummary summary;
  summary.original_run = run.dir;
  summary.suite = run.suite;
  summary.failure = describe(input->failure);
  summary.original_faults = run.faults;
  summary.original_duration = suite->duration;
  summary.budget = budget;
  summary.runs = args.runs;
  summary.keep = args.keep;

  std::fprintf(stderr,
               "faultline shrink: %s failed as %s with %zu faults over %s; searching (compact, ddmin, earlier, durations, "
               "targets); a candidate is kept when %d of up to %d reruns fail the same way; budget %s\n",
               run.dir.string().c_str(), describe(input->failure).c_str(), run.faults.size(),
               short_duration(suite->duration).c_str(), args.keep, args.runs, format_duration(budget).c_str());
  auto write_best = [&](const Candidate& best) {
    if (auto w = rerunner.write_suite(best, work / "shrunk.yaml"); !w)
      std::fprintf(stderr, "faultline shrink: %s\n", w.error().message.c_str());
  };
  Observer observer = progress_observer(budget, steps_file, summary, write_best);

  // The search's clock leaves out what the reruns waited for their --wrap
  // (a host lock other sessions hold): the budget is for searching.
  auto started = std::chrono::steady_clock::now();
  auto wall = [started] {
    return static_cast<Nanos>(std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - started).count());
  };
  Nanos waited = 0;
  auto clock = [&] { return wall() - waited; };
  // Each rerun announced as it starts (a rerun takes as long as its run).
  Rerun announced = [&](const RerunRequest& r) {
    std::fprintf(stderr, "faultline shrink: %s %s [%s] %zu fault%s left, %s run, rerun %d/%d ... · %s / %s\n",
                 r.number ? "candidate" : "confirm", r.number ? std::to_string(r.number).c_str() : "", r.phase.c_str(),
                 r.candidate.faults.size(), r.candidate.faults.size() == 1 ? "" : "s",
                 short_duration(r.candidate.duration).c_str(), r.attempt,
                 r.number ? args.runs : (args.confirm > 0 ? args.confirm : args.runs), clock_text(clock()).c_str(),
                 clock_text(budget).c_str());
    auto outcome = rerunner(r);
    waited += outcome.waited;
    if (outcome.waited > 0)
      std::fprintf(stderr, "faultline shrink: (waited %s for --wrap before the rerun began; not counted)\n",
                   short_duration(outcome.waited).c_str());
    return outcome;
  };
  Shrinker shrinker(original, options, announced, clock, interrupted, observer);
  Candidate best = shrinker.run();
  write_best(best);
  summary.shrunk = best;
  summary.over_budget = shrinker.over_budget();

  if (!rerunner.error().empty()) {
    std::fprintf(stderr, "faultline shrink: stopped: %s\n", rerunner.error().c_str());
    summary.elapsed = clock();
    summary.waited = waited;
    (void)write_shrink_report(work / "report.html", summary);
    return kExitInternal;
  }
  if (shrinker.over_budget())
    std::fprintf(stderr, "faultline shrink: budget %s spent after %d candidates: keeping the best so far\n",
                 format_duration(budget).c_str(), shrinker.candidates());

  const int code = confirm_best(args, work, best, shrinker, rerunner, summary);
  summary.elapsed = clock();
  summary.waited = waited;
  {
    std::ofstream out(work / "summary.json", std::ios::trunc);
    out << summary_json(summary).dump(2) << "\n";
  }
  if (auto r = write_shrink_report(work / "report.html", summary); !r)
    std::fprintf(stderr, "faultline shrink: %s\n", r.error().message.c_str());

  print_outcome(summary, shrinker.candidates());
  std::printf("%s\n", (work / "report.html").string().c_str());
  return code;
}

Command setup_shrink(CLI::App& app) {
  auto args = std::make_shared<ShrinkArgs>();
  auto* cmd = app.add_subcommand("shrink", "Shrink a failing run's schedule to a small one that still fails the same way");
  cmd->add_option("run_dir", args->run_dir, "the failing run's directory (OUT/<suite>/<time>)")->required();
  cmd->add_option("--runs", args->runs, "reruns per candidate, at most (default 3)");
  cmd->add_option("--keep", args->keep,
                  "a candidate fails when this many of its --runs reruns fail the same way (default 3: every one; 1..--runs)");
  cmd->add_option("--confirm", args->confirm, "reruns of the final schedule (default: --runs)");
  cmd->add_option("--budget", args->budget, "stop searching after this long, keeping the best so far (default 30m)");
  cmd->add_option("--tail", args->tail, "each candidate runs this long after its last fault ends (default 8s)");
  cmd->add_option("--finding", args->findings, "reproduce only this finding: CHECKER or CHECKER:KIND (repeatable)");
  cmd->add_option("--suite", args->suite, "the suite file, when the one the run recorded has moved");
  cmd->add_option("--bin-dir", args->bin_dir, "passed to each rerun's `faultline run`");
  cmd->add_option("--wrap", args->wrap, "a command prefix for each rerun, e.g. 'flock /tmp/host.lock'");
  return Command{cmd, [args]() -> int { return shrink_main(*args); }};
}

FAULTLINE_REGISTER_COMMAND(setup_shrink);

}  // namespace
}  // namespace faultline::cli
