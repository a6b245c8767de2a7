// Unit tests of finding a suite's nodes among a compose project's containers
// and of reading what a container lacks, on the engine's JSON (no engine).
#include <gtest/gtest.h>

#include "controller/cluster/compose_nodes.h"

namespace faultline::controller {
namespace {

nlohmann::json container(const std::string& name, const std::string& project, const std::string& service,
                         const std::string& node, nlohmann::json networks) {
  nlohmann::json labels{{"com.docker.compose.project", project}, {"com.docker.compose.service", service}};
  if (!node.empty()) labels[kNodeLabel] = node;
  return {{"Id", name + "-id"}, {"Names", {"/" + name}}, {"Labels", labels},
          {"NetworkSettings", {{"Networks", networks}}}};
}

nlohmann::json on(const std::string& network, const std::string& ip) { return {{network, {{"IPAddress", ip}}}}; }

TEST(ComposeNodes, FindsANodeByItsLabelThenByServiceName) {
  nlohmann::json cs = nlohmann::json::array({
      container("shop-db-1", "shop", "db", "n1", on("shop_back", "10.5.0.2")),
      container("shop-n2-1", "shop", "n2", "", on("shop_back", "10.5.0.3")),
      container("other-db-1", "other", "db", "n1", on("other_default", "10.6.0.2")),
  });
  auto n1 = pick_compose_node(cs, {"shop", "n1", "", ""});
  ASSERT_TRUE(n1) << n1.error().message;
  EXPECT_EQ(n1->container, "shop-db-1");
  EXPECT_EQ(n1->service, "db");
  EXPECT_EQ(n1->address, "10.5.0.2");
  auto n2 = pick_compose_node(cs, {"shop", "n2", "", "back"});  // compose's short network name
  ASSERT_TRUE(n2) << n2.error().message;
  EXPECT_EQ(n2->address, "10.5.0.3");
  auto mapped = pick_compose_node(cs, {"shop", "n9", "n2", ""});  // cluster.options.services: {n9: n2}
  ASSERT_TRUE(mapped) << mapped.error().message;
  EXPECT_EQ(mapped->container, "shop-n2-1");
  auto missing = pick_compose_node(cs, {"shop", "n3", "", ""});
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message.find("io.faultline.node=n3"), std::string::npos) << missing.error().message;
}

TEST(ComposeNodes, ANodeOnTwoNetworksNeedsTheNetworkNamed) {
  auto nets = on("shop_front", "10.4.0.2");
  nets.update(on("shop_back", "10.5.0.2"));
  nlohmann::json cs = nlohmann::json::array({container("shop-db-1", "shop", "db", "n1", nets)});
  auto ambiguous = pick_compose_node(cs, {"shop", "n1", "", ""});
  ASSERT_FALSE(ambiguous);
  EXPECT_NE(ambiguous.error().message.find("cluster.options.network"), std::string::npos);
  auto front = pick_compose_node(cs, {"shop", "n1", "", "shop_front"});
  ASSERT_TRUE(front);
  EXPECT_EQ(front->address, "10.4.0.2");
  auto wrong = pick_compose_node(cs, {"shop", "n1", "", "mgmt"});
  ASSERT_FALSE(wrong);
  EXPECT_NE(wrong.error().message.find("not on network 'mgmt'"), std::string::npos);
}

TEST(ComposeNodes, NamesWhatAContainerLacksForTheRunsFaults) {
  ComposeNode node{"id", "shop-db-1", "db", "10.5.0.2"};
  nlohmann::json bare{{"HostConfig", {{"CapAdd", nullptr}, {"Privileged", false}}}};
  auto limits = node_limits(bare, node, {"kill", "partition", "delay"});
  ASSERT_EQ(limits.size(), 1u);
  EXPECT_NE(limits[0].find("shop-db-1"), std::string::npos);
  EXPECT_NE(limits[0].find("NET_ADMIN"), std::string::npos);
  EXPECT_NE(limits[0].find("partition, delay"), std::string::npos);
  EXPECT_NE(limits[0].find("cap_add: [NET_ADMIN]"), std::string::npos);
  EXPECT_TRUE(node_limits(bare, node, {"kill", "pause", "clock-skew"}).empty());  // the supervisor's kinds

  nlohmann::json net_admin{{"HostConfig", {{"CapAdd", {"NET_ADMIN"}}}}};
  EXPECT_TRUE(node_limits(net_admin, node, {"partition"}).empty());
  auto fuse = node_limits(net_admin, node, {"partition", "disk-slow"});
  ASSERT_EQ(fuse.size(), 1u);
  EXPECT_NE(fuse[0].find("/dev/fuse"), std::string::npos);
  EXPECT_NE(fuse[0].find("SYS_ADMIN"), std::string::npos);
  nlohmann::json full{{"HostConfig",
                       {{"CapAdd", {"CAP_NET_ADMIN", "SYS_ADMIN"}},
                        {"Devices", {{{"PathOnHost", "/dev/fuse"}, {"PathInContainer", "/dev/fuse"}}}}}}};
  EXPECT_TRUE(node_limits(full, node, {"partition", "disk-slow"}).empty());
  nlohmann::json privileged{{"HostConfig", {{"Privileged", true}}}};
  EXPECT_TRUE(node_limits(privileged, node, {"partition", "disk-slow"}).empty());
}

}  // namespace
}  // namespace faultline::controller
