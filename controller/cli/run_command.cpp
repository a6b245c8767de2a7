// `faultline run SUITE [--set key=value]... [--out DIR] [--dry-run] [--replay RUN_DIR]`
#include <cstdio>

#include <fmt/format.h>

#include "controller/cli/command.h"
#include "controller/nemesis/schedule.h"
#include "controller/replay/recorded_run.h"
#include "controller/run/runner.h"
#include "controller/suite/suite.h"

namespace faultline::cli {
namespace {

struct RunArgs {
  std::string suite;
  std::vector<std::string> sets;
  std::string out = "out";
  std::string bin_dir;
  std::string replay;
  bool dry_run = false;
  bool quiet = false;
};

Command setup_run(CLI::App& app) {
  auto args = std::make_shared<RunArgs>();
  auto* cmd = app.add_subcommand("run", "Run a chaos suite end to end and exit with its verdict (0 valid, 1 invalid, 2 unknown)");
  cmd->add_option("suite", args->suite, "suite file (YAML)")->required();
  cmd->add_option("--set", args->sets, "override a suite field: dotted.path=value (YAML-typed), repeatable");
  cmd->add_option("--out", args->out, "output root; the run writes OUT/<suite>/<timestamp>/ (default: out)");
  cmd->add_option("--bin-dir", args->bin_dir, "where faultline-agent is (default: beside faultline)");
  cmd->add_option("--replay", args->replay,
                  "run RUN_DIR's faults exactly as executed (kinds, specs, targets, times from the SUT being up) "
                  "with its seed, instead of the suite's schedule");
  cmd->add_flag("--dry-run", args->dry_run, "check the suite and print the schedule; start nothing");
  cmd->add_flag("--quiet,-q", args->quiet, "no progress output (the report path is still printed)");
  return Command{cmd, [args]() -> int {
                   auto suite = controller::load_suite(args->suite, args->sets);
                   if (!suite) {
                     std::fprintf(stderr, "faultline: %s\n", suite.error().message.c_str());
                     return kExitBadInput;
                   }
                   std::optional<std::vector<controller::ScheduledFault>> replayed;
                   nlohmann::json replay_of;
                   if (!args->replay.empty()) {
                     auto run = controller::load_recorded_run(args->replay);
                     if (!run) {
                       std::fprintf(stderr, "faultline: --replay: %s\n", run.error().message.c_str());
                       return kExitBadInput;
                     }
                     suite->nemesis.seed = run->seed;  // the client workload's {seed} too
                     replayed = run->faults;
                     replay_of = controller::replay_record(*run);
                   }
                   if (args->dry_run) {
                     auto schedule = replayed ? controller::fit_schedule(*replayed, *suite) : controller::build_schedule(*suite);
                     if (!schedule) {
                       std::fprintf(stderr, "faultline: %s\n", schedule.error().message.c_str());
                       return kExitBadInput;
                     }
                     std::printf("suite %s: %zu nodes, %s, seed %llu, %zu faults\n", suite->name.c_str(),
                                 suite->cluster.nodes.size(), format_duration(suite->duration).c_str(),
                                 static_cast<unsigned long long>(suite->nemesis.seed), schedule->size());
                     for (const auto& f : *schedule) {
                       std::string targets;
                       for (const auto& t : f.targets) targets += (targets.empty() ? "" : ",") + t;
                       std::printf("  %-4s %8s .. %-8s %-40s %s%s\n", f.id.c_str(), format_duration(f.start).c_str(),
                                   format_duration(f.end).c_str(), f.spec.dump().c_str(), targets.c_str(),
                                   f.grudge.empty() ? "" : (" grudge " + nlohmann::json(f.grudge).dump()).c_str());
                     }
                     return kExitValid;
                   }
                   controller::RunnerOptions options;
                   options.out_root = args->out;
                   if (!args->bin_dir.empty()) options.bin_dir = args->bin_dir;
                   options.quiet = args->quiet;
                   options.sets = args->sets;
                   options.schedule = std::move(replayed);
                   options.replay_of = std::move(replay_of);
                   return controller::run_suite(*suite, options);
                 }};
}

FAULTLINE_REGISTER_COMMAND(setup_run);

}  // namespace
}  // namespace faultline::cli
