// The netns fixture itself: nodes reach each other over the bridge, teardown
// removes everything, twice is harmless.
#include <gtest/gtest.h>

#include <filesystem>

#include "tests/support/netns.h"
#include "tests/support/traffic.h"

using namespace faultline::testing;

TEST(NetnsFixture, NodesTalkOverTheBridgeAndTeardownRemovesEverything) {
  std::vector<std::string> names;
  {
    auto cluster = NetnsCluster::create(3);
    ASSERT_TRUE(cluster.ok()) << cluster.error().message;
    auto& c = **cluster;
    ASSERT_EQ(c.nodes().size(), 3u);
    EXPECT_EQ(c.node(1).address, "198.18.0.2");
    for (const auto& n : c.nodes()) names.push_back(n.ns);
    names.push_back(c.hub_ns());
    EXPECT_EQ(udp_delivered(c.node(0).ns, c.node(1).ns, c.node(1).address, 20), 20);
    EXPECT_EQ(udp_delivered(c.node(2).ns, c.node(0).ns, c.node(0).address, 20), 20);
    EXPECT_EQ(udp_delivered(c.hub_ns(), c.node(2).ns, c.node(2).address, 20), 20);
    auto tcp = TcpPair::connect(c.node(0).ns, c.node(2).ns, c.node(2).address);
    ASSERT_TRUE(tcp.ok()) << tcp.error().message;
    EXPECT_TRUE(tcp->roundtrip());

    auto out = NetnsCluster::exec(c.node(0).ns, {"ip", "-o", "-4", "addr", "show", "dev", "eth0"});
    EXPECT_EQ(out.exit_code, 0);
    EXPECT_NE(out.output.find("198.18.0.1/24"), std::string::npos) << out.output;
    EXPECT_EQ(NetnsCluster::run_in(c.node(1).ns, [] { return 7; }), 7);
    auto captured = NetnsCluster::run_in_capture(c.node(1).ns, [] { return std::string("hello"); });
    ASSERT_TRUE(captured.ok());
    EXPECT_EQ(*captured, "hello");

    auto pid = c.spawn(c.node(0).ns, {"sleep", "60"});
    ASSERT_TRUE(pid.ok());
    c.teardown();
    c.teardown();  // second teardown is harmless
    EXPECT_NE(::kill(*pid, 0), 0);
  }
  for (const auto& n : names) EXPECT_FALSE(std::filesystem::exists("/run/netns/" + n)) << n;
}

TEST(NetnsFixture, ScopedNetnsEntersAndLeaves) {
  auto cluster = NetnsCluster::create(1);
  ASSERT_TRUE(cluster.ok()) << cluster.error().message;
  auto before = std::filesystem::read_symlink("/proc/thread-self/ns/net");
  {
    ScopedNetns scope((*cluster)->node(0).ns);
    ASSERT_TRUE(scope.ok()) << scope.error();
    EXPECT_NE(std::filesystem::read_symlink("/proc/thread-self/ns/net"), before);
  }
  EXPECT_EQ(std::filesystem::read_symlink("/proc/thread-self/ns/net"), before);
}
