// Subcommands of the `faultline` CLI.
//
// Contract: each subcommand lives in its own file under controller/cli/ and
// registers itself with FAULTLINE_REGISTER_COMMAND(setup). `setup` adds a
// CLI11 subcommand to the app and returns the function that runs it once the
// command line is parsed; that function returns the process exit code
// (docs/design.md "Exit codes": 0 valid, 1 invalid, 2 unknown, 254 bad arguments
// or input, 255 internal error). Commands print errors themselves.
#pragma once

#include <functional>
#include <vector>

#include <CLI/CLI.hpp>

#include "common/static_registration.h"
#include "controller/output/exit_codes.h"

namespace faultline::cli {

using faultline::kExitBadInput;
using faultline::kExitInternal;
using faultline::kExitInvalid;
using faultline::kExitUnknown;
using faultline::kExitValid;

using RunFunction = std::function<int()>;
struct Command {
  CLI::App* app = nullptr;  // the subcommand
  RunFunction run;
};
using CommandSetup = std::function<Command(CLI::App& app)>;

std::vector<CommandSetup>& command_registry();

struct CommandRegistration {
  explicit CommandRegistration(CommandSetup setup) { command_registry().push_back(std::move(setup)); }
};

#define FAULTLINE_REGISTER_COMMAND(setup) FAULTLINE_STATIC_REGISTRATION(::faultline::cli::CommandRegistration, setup)

}  // namespace faultline::cli
