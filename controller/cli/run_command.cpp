// `faultline run SUITE [--set key=value]... [--out DIR] [--dry-run]`
#include <cstdio>

#include <fmt/format.h>

#include "controller/cli/command.h"
#include "controller/nemesis/schedule.h"
#include "controller/run/runner.h"
#include "controller/suite/suite.h"

namespace faultline::cli {
namespace {

struct RunArgs {
  std::string suite;
  std::vector<std::string> sets;
  std::string out = "out";
  std::string bin_dir;
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
  cmd->add_flag("--dry-run", args->dry_run, "check the suite and print the schedule; start nothing");
  cmd->add_flag("--quiet,-q", args->quiet, "no progress output (the report path is still printed)");
  return Command{cmd, [args]() -> int {
                   auto suite = controller::load_suite(args->suite, args->sets);
                   if (!suite) {
                     std::fprintf(stderr, "faultline: %s\n", suite.error().message.c_str());
                     return kExitBadInput;
                   }
                   if (args->dry_run) {
                     auto schedule = controller::build_schedule(*suite);
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
                   return controller::run_suite(*suite, options);
                 }};
}

FAULTLINE_REGISTER_COMMAND(setup_run);

}  // namespace
}  // namespace faultline::cli
