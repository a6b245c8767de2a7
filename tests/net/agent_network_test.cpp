// The issue's agent-level acceptance, on three namespaces joined by a bridge
// with a real faultline-agent in each: a partition applied THROUGH THE AGENT
// blocks exactly the listed pairs while the control connection keeps working;
// after kill -9 of an agent holding a partition and a loss, the restarted
// agent heals both within 1 s.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "agent/client/agent_client.h"
#include "tests/net/net_test_util.h"

using namespace faultline;
using namespace faultline::testing;
using namespace faultline::net_test;
using namespace std::chrono_literals;

namespace {

const char* kToken = "net-agent-test-secret";

class AgentCluster {
 public:
  explicit AgentCluster(int n) {
    auto created = NetnsCluster::create(n);
    if (!created) {
      error = created.error().message;
      return;
    }
    cluster = std::move(*created);
    dir = std::filesystem::temp_directory_path() / ("faultline-net-agent-" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    std::ofstream(dir / "token") << kToken << "\n";
    ::chmod((dir / "token").c_str(), 0600);
    pids.assign(n, -1);
  }
  ~AgentCluster() {
    if (cluster) cluster->teardown();  // kills the agents before their state goes
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }

  std::filesystem::path state(int i) const { return dir / ("state" + std::to_string(i)); }

  // Starts (or restarts) the agent of node i; waits until it listens.
  bool start(int i) {
    std::filesystem::remove(state(i) / "agent.port");
    auto pid = cluster->spawn(cluster->node(i).ns,
                              {FAULTLINE_AGENT_BIN, "--listen", cluster->node(i).address + ":7450", "--token-file",
                               (dir / "token").string(), "--state-dir", state(i).string(), "--interface", "eth0"},
                              (dir / ("agent" + std::to_string(i) + ".log")).string());
    if (!pid) return false;
    pids[i] = *pid;
    for (int k = 0; k < 500; ++k) {
      if (std::filesystem::exists(state(i) / "agent.port")) return true;
      std::this_thread::sleep_for(10ms);
    }
    return false;
  }

  // A controller connection from the hub namespace (the controller's position).
  std::unique_ptr<agent::AgentClient> connect(int i) {
    ScopedNetns in_hub(cluster->hub_ns());
    auto client = agent::AgentClient::connect({cluster->node(i).address, 7450, kToken});
    EXPECT_TRUE(client.ok()) << (client.ok() ? "" : client.error().message);
    return client.ok() ? std::move(*client) : nullptr;
  }

  std::unique_ptr<NetnsCluster> cluster;
  std::filesystem::path dir;
  std::vector<pid_t> pids;
  std::string error;
};

bool ours_in_iptables(const std::string& ns) {
  auto saved = NetnsCluster::exec(ns, {"iptables-save"}).output;
  return saved.find("faultline") != std::string::npos || saved.find("FAULTLINE") != std::string::npos;
}

}  // namespace

TEST(AgentPartition, ThroughTheAgentBlocksExactlyTheListedPairsAndKeepsTheControlConnection) {
  AgentCluster agents(3);
  ASSERT_TRUE(agents.cluster) << agents.error;
  auto& c = *agents.cluster;
  const auto &n1 = c.node(0), &n2 = c.node(1), &n3 = c.node(2);
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(agents.start(i)) << "agent " << i << " did not start";
  auto control = agents.connect(0);
  ASSERT_TRUE(control);
  auto tcp12 = TcpPair::connect(n1.ns, n2.ns, n2.address);
  ASSERT_TRUE(tcp12.ok());
  ASSERT_TRUE(tcp12->roundtrip());

  // n1 drops n2 AND the controller's own address: only the control port may pass.
  auto spec = faults::FaultSpec::parse_text(R"({"kind":"partition","peers":[")" + n2.address + R"(",")" +
                                            c.hub_address() + R"("]})");
  ASSERT_TRUE(spec.ok());
  auto applied = control->apply(*spec);
  ASSERT_TRUE(applied.ok()) << applied.error().message;
  EXPECT_EQ(applied->mechanism, "iptables");

  EXPECT_EQ(udp_delivered(n1.ns, n2.ns, n2.address, 20), 0);
  EXPECT_EQ(udp_delivered(n2.ns, n1.ns, n1.address, 20), 0);
  EXPECT_FALSE(tcp_byte(tcp12->client.get(), tcp12->server.get(), 300));
  EXPECT_EQ(udp_delivered(c.hub_ns(), n1.ns, n1.address, 20), 0);  // the controller host is cut ...
  auto listed = control->list();                                    // ... but not its control connection
  ASSERT_TRUE(listed.ok()) << listed.error().message;
  EXPECT_EQ(listed->size(), 1u);
  EXPECT_EQ(udp_delivered(n1.ns, n3.ns, n3.address, 20), 20);
  EXPECT_EQ(udp_delivered(n2.ns, n3.ns, n3.address, 20), 20);
  EXPECT_EQ(udp_delivered(n3.ns, n2.ns, n2.address, 20), 20);
  auto other = agents.connect(1);  // the other agents are reachable as before
  ASSERT_TRUE(other);
  EXPECT_TRUE(other->list().ok());

  ASSERT_TRUE(control->heal(applied->id).ok());
  EXPECT_EQ(udp_delivered(n1.ns, n2.ns, n2.address, 20), 20);
  EXPECT_EQ(udp_delivered(n2.ns, n1.ns, n1.address, 20), 20);
  EXPECT_EQ(udp_delivered(c.hub_ns(), n1.ns, n1.address, 20), 20);
  EXPECT_TRUE(tcp_byte(tcp12->client.get(), tcp12->server.get(), 4000));
  EXPECT_FALSE(ours_in_iptables(n1.ns)) << NetnsCluster::exec(n1.ns, {"iptables-save"}).output;
}

TEST(AgentPartition, KillNineWithPartitionAndLossThenRestartHealsWithinOneSecond) {
  AgentCluster agents(2);
  ASSERT_TRUE(agents.cluster) << agents.error;
  auto& c = *agents.cluster;
  const auto &n1 = c.node(0), &n2 = c.node(1);
  ASSERT_TRUE(agents.start(0));
  {
    auto control = agents.connect(0);
    ASSERT_TRUE(control);
    auto partition = faults::FaultSpec::parse_text(R"({"kind":"partition","peers":[")" + n2.address + R"("]})");
    auto loss = faults::FaultSpec::parse_text(R"({"kind":"loss","percent":30})");
    ASSERT_TRUE(partition.ok() && loss.ok());
    auto p = control->apply(*partition, 600'000'000'000);
    ASSERT_TRUE(p.ok()) << p.error().message;
    auto l = control->apply(*loss, 600'000'000'000);
    ASSERT_TRUE(l.ok()) << l.error().message;
    EXPECT_EQ(udp_delivered(n1.ns, n2.ns, n2.address, 20), 0);
    ASSERT_TRUE(ours_in_iptables(n1.ns));
    c.kill(agents.pids[0]);  // kill -9: nothing heals on the way out
    control->close();
  }
  EXPECT_TRUE(ours_in_iptables(n1.ns)) << "SIGKILL must leave the rules for the restarted agent to heal";
  EXPECT_EQ(udp_delivered(n1.ns, n2.ns, n2.address, 20), 0);

  auto restarted_at = std::chrono::steady_clock::now();
  ASSERT_TRUE(agents.start(0));
  bool healed = false;
  while (std::chrono::steady_clock::now() - restarted_at < 3s) {
    if (!ours_in_iptables(n1.ns)) {
      healed = true;
      break;
    }
    std::this_thread::sleep_for(10ms);
  }
  auto took = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - restarted_at);
  ASSERT_TRUE(healed) << NetnsCluster::exec(n1.ns, {"iptables-save"}).output;
  EXPECT_LE(took.count(), 1000) << "restarted agent healed after " << took.count() << " ms";
  // Traffic back to normal: no partition, no loss.
  EXPECT_EQ(udp_delivered(n1.ns, n2.ns, n2.address, 300), 300);
  EXPECT_EQ(udp_delivered(n2.ns, n1.ns, n1.address, 50), 50);
}
