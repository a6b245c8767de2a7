// `faultline export HISTORY --format edn [--client-only] [--output FILE]`:
// a recorded history in another tool's format. EDN is Jepsen's: one op map
// per line (checkers/history/edn_writer.h), for Knossos, Elle or any reader
// of Jepsen histories. Exit codes: 0 written, 254 bad arguments or history
// (file, line and reason), 255 when the output cannot be written.
#include <cstdio>
#include <fstream>
#include <iostream>

#include "checkers/history/edn_writer.h"
#include "checkers/history/reader.h"
#include "controller/cli/command.h"

namespace faultline::cli {
namespace {

struct ExportArgs {
  std::string history;
  std::string format = "edn";
  std::string output;
  bool client_only = false;
};

int run_export(const ExportArgs& args) {
  auto history = history::read_history_file(args.history);
  if (!history) {
    std::fprintf(stderr, "faultline export: %s\n", history.error().message.c_str());
    return kExitBadInput;
  }
  history::EdnExportOptions options;
  options.client_only = args.client_only;
  if (args.output.empty() || args.output == "-") {
    history::write_edn_history(std::cout, *history, options);
    std::cout.flush();
    return std::cout ? kExitValid : kExitInternal;
  }
  std::ofstream out(args.output, std::ios::trunc);
  if (out) history::write_edn_history(out, *history, options);
  out.flush();
  if (!out) {
    std::fprintf(stderr, "faultline export: %s: cannot write\n", args.output.c_str());
    return kExitInternal;
  }
  return kExitValid;
}

Command setup_export(CLI::App& app) {
  auto args = std::make_shared<ExportArgs>();
  auto* cmd = app.add_subcommand("export", "Write a recorded history in another tool's format (Jepsen EDN)");
  cmd->add_option("history", args->history, "History file (.jsonl or .edn)")->required();
  cmd->add_option("--format", args->format, "Output format: edn (Jepsen/Knossos/Elle history maps)")
      ->check(CLI::IsMember({"edn"}))
      ->capture_default_str();
  cmd->add_option("--output,-o", args->output, "Write here instead of stdout");
  cmd->add_flag("--client-only", args->client_only, "Only client operations (no :nemesis ops for faults)");
  return Command{cmd, [args] { return run_export(*args); }};
}

FAULTLINE_REGISTER_COMMAND(setup_export);

}  // namespace
}  // namespace faultline::cli
