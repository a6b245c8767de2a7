// The controller's link to the agent client library.
#include <unistd.h>

#include "controller/run/runner.h"

namespace faultline::controller {

AgentConnector default_agent_connector() {
  return [](const agent::AgentEndpoint& endpoint) { return agent::AgentClient::connect(endpoint); };
}

std::filesystem::path self_dir() {
  std::error_code ec;
  auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  return ec ? std::filesystem::current_path() : exe.parent_path();
}

}  // namespace faultline::controller
