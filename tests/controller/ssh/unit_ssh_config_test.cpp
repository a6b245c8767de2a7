// parse_ssh_options: the ssh provider's suite fields, defaults and errors.
#include <gtest/gtest.h>

#include "controller/cluster/ssh_config.h"
#include "controller/suite/suite.h"

namespace faultline::controller {
namespace {

ClusterConfig config(std::vector<std::string> nodes, nlohmann::json options) {
  ClusterConfig c;
  c.provider = "ssh";
  c.nodes = std::move(nodes);
  c.options = std::move(options);
  return c;
}

TEST(SshOptions, DefaultsAndNodeMapping) {
  auto parsed = parse_ssh_options(config({"a", "b", "c"}, {{"identity", "/k/id"},
                                                           {"hosts", {"10.0.0.1",
                                                                      {{"host", "10.0.0.2"}, {"name", "a"}, {"port", 2222}},
                                                                      {{"host", "10.0.0.3"}, {"user", "admin"}}}}}));
  ASSERT_TRUE(parsed.ok()) << parsed.error().message;
  ASSERT_EQ(parsed->hosts.size(), 3u);
  // In node order: a is the named host, b and c the unnamed ones in order.
  EXPECT_EQ(parsed->hosts[0].name, "a");
  EXPECT_EQ(parsed->hosts[0].address, "10.0.0.2");
  EXPECT_EQ(parsed->hosts[0].port, 2222);
  EXPECT_EQ(parsed->hosts[1].name, "b");
  EXPECT_EQ(parsed->hosts[1].address, "10.0.0.1");
  EXPECT_EQ(parsed->hosts[1].user, "root");
  EXPECT_EQ(parsed->hosts[1].port, 22);
  EXPECT_EQ(parsed->hosts[2].user, "admin");
  EXPECT_EQ(parsed->hosts[2].identity, "/k/id");
  EXPECT_FALSE(parsed->accept_unknown_host_keys);
  EXPECT_EQ(parsed->agent_port, 7070);
  EXPECT_EQ(parsed->remote_dir, "/tmp");
}

TEST(SshOptions, ExpandsHome) {
  setenv("HOME", "/home/u", 1);
  auto parsed = parse_ssh_options(
      config({"n1"}, {{"hosts", {{{"host", "h"}, {"identity", "~/.ssh/id"}}}}, {"known_hosts", "~/kh"}}));
  ASSERT_TRUE(parsed.ok()) << parsed.error().message;
  EXPECT_EQ(parsed->hosts[0].identity, "/home/u/.ssh/id");
  EXPECT_EQ(parsed->known_hosts, "/home/u/kh");
}

TEST(SshOptions, ErrorsNameTheField) {
  struct Case {
    nlohmann::json options;
    std::vector<std::string> nodes;
    std::string expect;
  };
  const nlohmann::json host = {{"host", "h"}, {"identity", "/k"}};
  std::vector<Case> cases = {
      {nlohmann::json::object(), {"n1"}, "cluster.options.hosts: missing"},
      {{{"hosts", {host, host}}}, {"n1"}, "cluster.options.hosts: 2 hosts listed for 1 nodes"},
      {{{"hosts", {{{"host", "h"}}}}}, {"n1"}, "cluster.options.hosts[0].identity: missing"},
      {{{"hosts", {{{"host", "h"}, {"identity", "/k"}, {"port", 70000}}}}}, {"n1"}, "cluster.options.hosts[0].port"},
      {{{"hosts", {{{"host", "h"}, {"identity", "/k"}, {"name", "zz"}}}}}, {"n1"}, "'zz' is not a node"},
      {{{"hosts", {{{"host", "h"}, {"identity", "/k"}, {"colour", 1}}}}}, {"n1"}, "hosts[0].colour: unknown field"},
      {{{"hosts", {host}}, {"accept_unknown_host_keys", "yes"}}, {"n1"}, "accept_unknown_host_keys: expected true or false"},
      {{{"hosts", {host}}, {"accept_unknown", true}}, {"n1"}, "accept_unknown: unknown option"},
      {{{"hosts", {host}}, {"remote_dir", "tmp"}}, {"n1"}, "remote_dir: expected an absolute path"},
      {{{"hosts", {host}}, {"connect_timeout", "soon"}}, {"n1"}, "connect_timeout"},
      {{{"hosts", {{{"host", "h"}, {"identity", "/k"}, {"name", "n1"}}, {{"host", "g"}, {"identity", "/k"}, {"name", "n1"}}}}},
       {"n1", "n2"}, "node 'n1' has two hosts"},
  };
  for (const auto& c : cases) {
    auto parsed = parse_ssh_options(config(c.nodes, c.options));
    ASSERT_FALSE(parsed.ok()) << c.options.dump();
    EXPECT_EQ(parsed.error().code, ErrorCode::kInvalidInput);
    EXPECT_NE(parsed.error().message.find(c.expect), std::string::npos) << parsed.error().message;
  }
}

TEST(SshOptions, SuiteCarriesOptionsThrough) {
  auto suite = parse_suite(R"(
duration: 5s
cluster:
  provider: ssh
  nodes: [db1]
  options:
    known_hosts: /etc/kh
    accept_unknown_host_keys: true
    hosts:
      - {host: 192.0.2.7, port: 2200, user: ops, identity: /k/id}
sut:
  command: "true"
)",
                           "s.yaml");
  ASSERT_TRUE(suite.ok()) << suite.error().message;
  auto parsed = parse_ssh_options(suite->cluster);
  ASSERT_TRUE(parsed.ok()) << parsed.error().message;
  EXPECT_TRUE(parsed->accept_unknown_host_keys);
  EXPECT_EQ(parsed->hosts[0].name, "db1");
  EXPECT_EQ(parsed->hosts[0].port, 2200);
  EXPECT_EQ(parsed->known_hosts, "/etc/kh");
}

}  // namespace
}  // namespace faultline::controller
