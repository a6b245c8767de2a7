#include "controller/cli/command.h"

namespace faultline::cli {

std::vector<CommandSetup>& command_registry() {
  static std::vector<CommandSetup> registry;
  return registry;
}

}  // namespace faultline::cli
