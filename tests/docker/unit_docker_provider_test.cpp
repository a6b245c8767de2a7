// Unit tests of the docker provider's parts that need no engine: the
// FAULTLINE_DOCKER_NODES parser, option validation, registration, and up()
// failing with a clear error when an agent does not answer.
#include <cstdlib>
#include <fstream>

#include <gtest/gtest.h>
#include <unistd.h>

#include "controller/cluster/docker_provider.h"

namespace faultline::controller {
namespace {

TEST(DockerProviderUnit, ParsesNodeList) {
  auto nodes = parse_docker_nodes("n1=198.19.77.11, n2=198.19.77.12,");
  ASSERT_TRUE(nodes) << nodes.error().message;
  EXPECT_EQ(nodes->size(), 2u);
  EXPECT_EQ(nodes->at("n2"), "198.19.77.12");
  auto bad = parse_docker_nodes("n1=198.19.77.11,n2");
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("'n2'"), std::string::npos) << bad.error().message;
  auto not_ip = parse_docker_nodes("n1=node-one");
  ASSERT_FALSE(not_ip);
  EXPECT_NE(not_ip.error().message.find("not an IPv4 address"), std::string::npos);
}

TEST(DockerProviderUnit, RegisteredAndValidatesOptions) {
  auto provider = make_provider("docker");
  ASSERT_NE(provider, nullptr);
  ClusterConfig config;
  config.provider = "docker";
  config.nodes = {"n1", "n2"};
  config.options = {{"project", "ci"}, {"agent_port", 7070}};
  ::unsetenv("FAULTLINE_DOCKER_NODES");
  EXPECT_TRUE(provider->validate(config));
  config.options = {{"agent_port", 70000}};
  EXPECT_FALSE(provider->validate(config));
  config.options = {{"privileged", true}};
  auto unknown = provider->validate(config);
  ASSERT_FALSE(unknown);
  EXPECT_NE(unknown.error().message.find("cluster.options.privileged"), std::string::npos);
  config.options = nlohmann::json::object();
  ::setenv("FAULTLINE_DOCKER_NODES", "n1=127.0.0.1", 1);
  auto missing = provider->validate(config);
  ::unsetenv("FAULTLINE_DOCKER_NODES");
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message.find("n2 is not in FAULTLINE_DOCKER_NODES"), std::string::npos);
}

TEST(DockerProviderUnit, UpFailsNamingTheNodeWhoseAgentDoesNotAnswer) {
  auto provider = make_provider("docker");
  const std::string token = "/tmp/faultline-docker-unit-token-" + std::to_string(::getpid());
  std::ofstream(token) << "secret\n";
  ClusterConfig config;
  config.nodes = {"n1"};
  config.options = {{"token_file", token}, {"agent_port", 1}};  // nothing listens on port 1
  ::setenv("FAULTLINE_DOCKER_NODES", "n1=127.0.0.1", 1);
  int calls = 0;
  ProviderOptions options;
  options.interrupted = [&] { return ++calls > 3; };  // give up quickly instead of waiting 60s
  auto cluster = provider->up(config, options);
  ::unsetenv("FAULTLINE_DOCKER_NODES");
  std::remove(token.c_str());
  ASSERT_FALSE(cluster);
  EXPECT_NE(cluster.error().message.find("node n1"), std::string::npos) << cluster.error().message;
}

}  // namespace
}  // namespace faultline::controller
