// faultline: the controller CLI. Subcommands register themselves (cli/command.h).
#include <cstdio>
#include <exception>

#include "controller/cli/command.h"

int main(int argc, char** argv) {
  using namespace faultline::cli;
  CLI::App app{"faultline: a chaos harness that injects real faults and checks what the system did"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "faultline 0.1.0");
  std::vector<Command> commands;
  for (auto& setup : command_registry()) commands.push_back(setup(app));
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? 0 : kExitBadInput;
  }
  try {
    for (auto& command : commands)
      if (command.app && command.app->parsed()) return command.run();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "faultline: internal error: %s\n", e.what());
    return kExitInternal;
  }
  return kExitBadInput;
}
