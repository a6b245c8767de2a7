// Placeholders in suites: the syntax, what each scope offers, the values a
// run gives them, and the suite loader refusing unknown ones with file:line.
#include <gtest/gtest.h>

#include "controller/run/placeholders.h"
#include "controller/suite/placeholders.h"
#include "controller/suite/suite.h"

using namespace faultline;
using namespace faultline::controller;

namespace {

const char* kEtcdLike = R"(name: etcd-like
duration: 30s
cluster: {nodes: 3}
sut:
  command: >-
    etcd --name {node} --listen-peer-urls http://{address}:{ports.peer}
    --initial-cluster {lists.initial_cluster} --data-dir {data}/etcd
  ports: {client: 2379, peer: 2380}
  lists:
    initial_cluster: "{node}=http://{address}:{ports.peer}"
    spaced: {item: "{address}", separator: " "}
  ready: {command: "etcdctl --endpoints {address}:{ports.client} endpoint health", timeout: 20s}
  teardown: "rm -rf {data}/etcd"
client:
  command: "client --endpoint {client_address}:{ports.client} --all {addresses.client} --of {concurrency} --seed {seed}"
  concurrency: 4
  nodes: [n2, n3]
)";

std::vector<NodeInfo> three_nodes() {
  std::vector<NodeInfo> nodes(3);
  for (int i = 0; i < 3; ++i) {
    nodes[i].name = "n" + std::to_string(i + 1);
    nodes[i].address = "10.0.0." + std::to_string(i + 1);
    nodes[i].events = "/s/" + nodes[i].name + "/events.sock";
    nodes[i].data_dir = "/d/" + nodes[i].name;
  }
  return nodes;
}

std::string error_of(const std::string& text) {
  auto suite = parse_suite(text, "s.yaml");
  EXPECT_FALSE(suite.ok());
  return suite.ok() ? "" : suite.error().message;
}

}  // namespace

TEST(PlaceholderSyntax, OnlyBracedNamesAreSubstitutedShellAndJsonBracesStay) {
  EXPECT_EQ(placeholders_in("a {node} b {ports.peer} ${HOME} {\"k\": 1} awk '{print $1}' {x-y} {}"),
            (std::vector<std::string>{"node", "ports.peer"}));
  Placeholders v{{"node", "n1"}, {"ports.peer", "2380"}};
  EXPECT_EQ(expand("{node}:{ports.peer} ${node} {unknown} {json:1}", v), "n1:2380 ${node} {unknown} {json:1}");
  EXPECT_EQ(expand_json({{"path", "{node}/x"}, {"n", 1}, {"list", {"{node}"}}}, v),
            (nlohmann::json{{"path", "n1/x"}, {"n", 1}, {"list", {"n1"}}}));
}

TEST(PlaceholderSyntax, UnknownNamesAreRefusedWithASuggestion) {
  auto r = check_placeholders("--id {nod}", {"node", "address"});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("unknown placeholder {nod}; did you mean {node}?"), std::string::npos)
      << r.error().message;
  EXPECT_TRUE(check_placeholders("--id {node} ${HOME}", {"node"}).ok());
}

TEST(Placeholders, NamedPortsListsAndClientBinding) {
  auto suite = parse_suite(kEtcdLike, "s.yaml");
  ASSERT_TRUE(suite.ok()) << suite.error().message;
  auto nodes = three_nodes();
  PlaceholderContext context{*suite, nodes, "/suites"};
  auto n2 = node_values(context, 1);
  EXPECT_EQ(expand(suite->sut.command[2], n2),
            "etcd --name n2 --listen-peer-urls http://10.0.0.2:2380 --initial-cluster "
            "n1=http://10.0.0.1:2380,n2=http://10.0.0.2:2380,n3=http://10.0.0.3:2380 --data-dir /d/n2/etcd");
  EXPECT_EQ(n2.at("lists.spaced"), "10.0.0.1 10.0.0.2 10.0.0.3");
  EXPECT_EQ(n2.at("peer_addresses.client"), "10.0.0.1:2379,10.0.0.3:2379");
  EXPECT_EQ(n2.at("suite_dir"), "/suites");
  // Clients 0..3 go to n2, n3, n2, n3.
  auto c2 = client_values(context, 2);
  EXPECT_EQ(expand(suite->client->command, c2),
            "client --endpoint 10.0.0.2:2379 --all 10.0.0.1:2379,10.0.0.2:2379,10.0.0.3:2379 --of 4 --seed 1");
  EXPECT_EQ(client_values(context, 3).at("client_node"), "n3");
  EXPECT_EQ(c2.at("process"), "2");
  EXPECT_EQ(c2.at("client_index"), "3");
}

TEST(Placeholders, RoundRobinByDefault) {
  std::string text = kEtcdLike;
  text.replace(text.find("  nodes: [n2, n3]\n"), 18, "");
  auto suite = parse_suite(text, "s.yaml");
  ASSERT_TRUE(suite.ok()) << suite.error().message;
  auto nodes = three_nodes();
  PlaceholderContext context{*suite, nodes, ""};
  EXPECT_EQ(client_values(context, 0).at("client_node"), "n1");
  EXPECT_EQ(client_values(context, 4).at("client_address"), "10.0.0.2");
}

TEST(SuitePlaceholders, UnknownPlaceholderOrPortIsRefusedWithFileLineAndField) {
  std::string text = kEtcdLike;
  text.replace(text.find("{ports.peer}"), 12, "{ports.peeer}");
  auto message = error_of(text);
  EXPECT_NE(message.find("s.yaml:5: sut.command: unknown placeholder {ports.peeer}; did you mean {ports.peer}?"),
            std::string::npos)
      << message;

  text = kEtcdLike;
  text.replace(text.find("{client_address}"), 16, "{client_adress}");
  message = error_of(text);
  EXPECT_NE(message.find("s.yaml:15: client.command: unknown placeholder {client_adress}"), std::string::npos) << message;

  text = kEtcdLike;
  text.replace(text.find("rm -rf {data}"), 13, "rm -rf {process}");  // a client placeholder, not a node one
  message = error_of(text);
  EXPECT_NE(message.find("sut.teardown: unknown placeholder {process}"), std::string::npos) << message;
}

TEST(SuitePlaceholders, FaultSpecsAndBadSectionsAreChecked) {
  std::string text = std::string(kEtcdLike) +
                     "nemesis:\n  - at: 1s\n    fault: {kind: disk-fill, path: \"{dta}\", leave: 1MiB}\n    duration: 1s\n";
  auto message = error_of(text);
  EXPECT_NE(message.find("nemesis[0].fault.path: unknown placeholder {dta}; did you mean {data}?"), std::string::npos)
      << message;
  EXPECT_NE(error_of("duration: 1s\ncluster: {nodes: 1}\nsut: {command: x, ports: {client: 70000}}\n").find(
                "sut.ports.client: must be between 1 and 65535"),
            std::string::npos);
  EXPECT_NE(error_of("duration: 1s\ncluster: {nodes: 2}\nsut: {command: x}\nclient: {command: y, nodes: [n9]}\n")
                .find("client.nodes[0]: 'n9' is not a node of the cluster"),
            std::string::npos);
  EXPECT_NE(error_of("duration: 1s\ncluster: {nodes: 2}\nsut: {command: x, lists: {a: \"{lists.b}\", b: \"{node}\"}}\n")
                .find("a list cannot use another list"),
            std::string::npos);
}
