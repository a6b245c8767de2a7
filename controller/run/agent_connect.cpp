// The controller's link to the agent client library (optional at build time,
// see controller/CMakeLists.txt).
#include <unistd.h>

#include "controller/run/runner.h"

namespace faultline::controller {

AgentConnector default_agent_connector() {
#ifdef FAULTLINE_HAVE_AGENT_CLIENT
  return [](const agent::AgentEndpoint& endpoint) { return agent::AgentClient::connect(endpoint); };
#else
  return [](const agent::AgentEndpoint&) -> Result<std::unique_ptr<agent::AgentClient>> {
    return unavailable("this build has no agent client library (faultline_agent_client)");
  };
#endif
}

std::filesystem::path self_dir() {
  std::error_code ec;
  auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  return ec ? std::filesystem::current_path() : exe.parent_path();
}

}  // namespace faultline::controller
