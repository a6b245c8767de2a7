// The issue's agent-level acceptance, on three namespaces joined by a bridge
// with a real faultline-agent in each: a partition applied THROUGH THE AGENT
// blocks exactly the listed pairs while the control connection keeps working;
// after kill -9 of an agent holding a partition and a loss, the restarted
// agent heals both within 1 s.
#include <gtest/gtest.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "agent/client/agent_client.h"
#include "tests/faults/net/net_test_util.h"

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

namespace {

// Kills agent i with SIGKILL, restarts it and waits (3 s at most) until it
// has healed every rule of ours in node i's namespace. Returns whether it did.
bool kill_restart_and_wait_healed(AgentCluster& agents, int i) {
  agents.cluster->kill(agents.pids[i]);
  if (!ours_in_iptables(agents.cluster->node(i).ns)) return false;  // SIGKILL must leave the rules behind
  if (!agents.start(i)) return false;
  for (int k = 0; k < 300; ++k) {
    if (!ours_in_iptables(agents.cluster->node(i).ns)) return true;
    std::this_thread::sleep_for(10ms);
  }
  return false;
}

}  // namespace

// One-way partitions: "in" drops what the peer sends us and still
// delivers what we send it; "out" the reverse. UDP counted both ways, healed
// by SIGKILL of the agent and a restart.
TEST(AgentPartition, OneWayInAndOutDropOneDirectionOnly) {
  AgentCluster agents(2);
  ASSERT_TRUE(agents.cluster) << agents.error;
  auto& c = *agents.cluster;
  const auto &n1 = c.node(0), &n2 = c.node(1);
  ASSERT_TRUE(agents.start(0));
  for (const std::string direction : {"in", "out"}) {
    SCOPED_TRACE(direction);
    {
      auto control = agents.connect(0);
      ASSERT_TRUE(control);
      auto spec = faults::FaultSpec::parse_text(R"({"kind":"partition","peers":[")" + n2.address +
                                                R"("],"direction":")" + direction + R"("})");
      ASSERT_TRUE(spec.ok()) << spec.error().message;
      auto applied = control->apply(*spec, 600'000'000'000);
      ASSERT_TRUE(applied.ok()) << applied.error().message;
      EXPECT_NE(applied->description.find(direction == "in" ? "traffic from" : "traffic to"), std::string::npos)
          << applied->description;
      const int to_n1 = udp_delivered(n2.ns, n1.ns, n1.address, 50);
      const int to_n2 = udp_delivered(n1.ns, n2.ns, n2.address, 50);
      EXPECT_EQ(to_n1, direction == "in" ? 0 : 50) << "n2 -> n1";
      EXPECT_EQ(to_n2, direction == "out" ? 0 : 50) << "n1 -> n2";
      control->close();
    }
    ASSERT_TRUE(kill_restart_and_wait_healed(agents, 0)) << NetnsCluster::exec(n1.ns, {"iptables-save"}).output;
    EXPECT_EQ(udp_delivered(n2.ns, n1.ns, n1.address, 50), 50);
    EXPECT_EQ(udp_delivered(n1.ns, n2.ns, n2.address, 50), 50);
  }
}

// keep_established: a TCP stream opened before the fault keeps flowing both
// ways while a new connection times out; healed by SIGKILL + restart.
TEST(AgentPartition, KeepEstablishedBlocksOnlyNewConnections) {
  AgentCluster agents(2);
  ASSERT_TRUE(agents.cluster) << agents.error;
  auto& c = *agents.cluster;
  const auto &n1 = c.node(0), &n2 = c.node(1);
  ASSERT_TRUE(agents.start(0));
  auto stream = TcpPair::connect(n1.ns, n2.ns, n2.address);
  ASSERT_TRUE(stream.ok());
  ASSERT_TRUE(stream->roundtrip());
  {
    auto control = agents.connect(0);
    ASSERT_TRUE(control);
    auto spec = faults::FaultSpec::parse_text(R"({"kind":"partition","peers":[")" + n2.address +
                                              R"("],"keep_established":true})");
    ASSERT_TRUE(spec.ok()) << spec.error().message;
    auto applied = control->apply(*spec, 600'000'000'000);
    ASSERT_TRUE(applied.ok()) << applied.error().message;
    EXPECT_NE(applied->description.find("new connections"), std::string::npos) << applied->description;
    int flowed = 0;
    for (int k = 0; k < 20; ++k)
      flowed += (tcp_byte(stream->client.get(), stream->server.get(), 500) ? 1 : 0) +
                (tcp_byte(stream->server.get(), stream->client.get(), 500) ? 1 : 0);
    EXPECT_EQ(flowed, 40) << "the established stream must keep flowing both ways";
    EXPECT_FALSE(tcp_connects(n1.ns, n2.ns, n2.address, 1000)) << "a new connection n1 -> n2 got through";
    EXPECT_FALSE(tcp_connects(n2.ns, n1.ns, n1.address, 1000)) << "a new connection n2 -> n1 got through";
    control->close();
  }
  ASSERT_TRUE(kill_restart_and_wait_healed(agents, 0)) << NetnsCluster::exec(n1.ns, {"iptables-save"}).output;
  EXPECT_TRUE(tcp_connects(n1.ns, n2.ns, n2.address, 2000));
  EXPECT_TRUE(tcp_byte(stream->client.get(), stream->server.get(), 1000));
}

namespace {

// One ICMP echo from namespace ns to `to` (a raw socket: no ping binary
// needed); true when the reply comes back within a second.
bool icmp_echo(const std::string& ns, const std::string& to) {
  ScopedNetns in(ns);
  if (!in.ok()) return false;
  int fd = ::socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_ICMP);
  if (fd < 0) return false;
  sockaddr_in dst{};
  dst.sin_family = AF_INET;
  ::inet_pton(AF_INET, to.c_str(), &dst.sin_addr);
  unsigned char packet[16] = {8, 0, 0, 0, 0x12, 0x34, 0, 1, 'f', 'a', 'u', 'l', 't', 'l', 'i', 'n'};
  unsigned sum = 0;
  for (std::size_t i = 0; i < sizeof packet; i += 2) sum += static_cast<unsigned>(packet[i] << 8 | packet[i + 1]);
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  packet[2] = static_cast<unsigned char>(~sum >> 8);
  packet[3] = static_cast<unsigned char>(~sum & 0xff);
  bool replied = false;
  if (::sendto(fd, packet, sizeof packet, 0, reinterpret_cast<sockaddr*>(&dst), sizeof dst) == sizeof packet) {
    auto until = std::chrono::steady_clock::now() + 1s;
    while (!replied && std::chrono::steady_clock::now() < until) {
      pollfd p{fd, POLLIN, 0};
      if (::poll(&p, 1, 100) <= 0) continue;
      unsigned char reply[128];
      sockaddr_in from{};
      socklen_t len = sizeof from;
      ssize_t n = ::recvfrom(fd, reply, sizeof reply, 0, reinterpret_cast<sockaddr*>(&from), &len);
      // IP header, then ICMP type 0 (echo reply) with our identifier.
      if (n >= 28 && from.sin_addr.s_addr == dst.sin_addr.s_addr) {
        std::size_t ihl = static_cast<std::size_t>(reply[0] & 0x0f) * 4;
        replied = static_cast<std::size_t>(n) >= ihl + 8 && reply[ihl] == 0 && reply[ihl + 4] == 0x12 &&
                  reply[ihl + 5] == 0x34;
      }
    }
  }
  ::close(fd);
  return replied;
}

}  // namespace

// ports: a partition of TCP port 2380 only; ICMP and TCP to another port pass
// both ways while TCP to 2380 is cut both ways; healed by SIGKILL + restart.
TEST(AgentPartition, PortsCutOnlyThatPort) {
  AgentCluster agents(2);
  ASSERT_TRUE(agents.cluster) << agents.error;
  auto& c = *agents.cluster;
  const auto &n1 = c.node(0), &n2 = c.node(1);
  ASSERT_TRUE(agents.start(0));
  auto ping = [&](const std::string& from, const std::string& to) { return icmp_echo(from, to); };
  ASSERT_TRUE(tcp_connects(n1.ns, n2.ns, n2.address, 1000, 2380));
  {
    auto control = agents.connect(0);
    ASSERT_TRUE(control);
    auto spec = faults::FaultSpec::parse_text(R"({"kind":"partition","peers":[")" + n2.address +
                                              R"("],"ports":[2380],"protocol":"tcp"})");
    ASSERT_TRUE(spec.ok()) << spec.error().message;
    auto applied = control->apply(*spec, 600'000'000'000);
    ASSERT_TRUE(applied.ok()) << applied.error().message;
    EXPECT_NE(applied->description.find("tcp port 2380 only"), std::string::npos) << applied->description;
    EXPECT_FALSE(tcp_connects(n1.ns, n2.ns, n2.address, 1000, 2380)) << "n1 -> n2:2380 got through";
    EXPECT_FALSE(tcp_connects(n2.ns, n1.ns, n1.address, 1000, 2380)) << "n2 -> n1:2380 got through";
    EXPECT_TRUE(tcp_connects(n1.ns, n2.ns, n2.address, 1000, 2379)) << "n1 -> n2:2379 was cut";
    EXPECT_TRUE(tcp_connects(n2.ns, n1.ns, n1.address, 1000, 2379)) << "n2 -> n1:2379 was cut";
    EXPECT_TRUE(ping(n1.ns, n2.address)) << "ICMP n1 -> n2 was cut";
    EXPECT_TRUE(ping(n2.ns, n1.address)) << "ICMP n2 -> n1 was cut";
    EXPECT_EQ(udp_delivered(n1.ns, n2.ns, n2.address, 50), 50) << "UDP was cut";
    control->close();
  }
  ASSERT_TRUE(kill_restart_and_wait_healed(agents, 0)) << NetnsCluster::exec(n1.ns, {"iptables-save"}).output;
  EXPECT_TRUE(tcp_connects(n1.ns, n2.ns, n2.address, 1000, 2380));

  // The same with loss (100%, so the count is exact): only port 2380 loses.
  auto control = agents.connect(0);
  ASSERT_TRUE(control);
  auto loss = faults::FaultSpec::parse_text(R"({"kind":"loss","percent":100,"ports":[2380],"protocol":"tcp"})");
  ASSERT_TRUE(loss.ok()) << loss.error().message;
  auto applied = control->apply(*loss, 600'000'000'000);
  ASSERT_TRUE(applied.ok()) << applied.error().message;
  EXPECT_NE(applied->description.find("tcp port 2380 only"), std::string::npos) << applied->description;
  EXPECT_FALSE(tcp_connects(n1.ns, n2.ns, n2.address, 1000, 2380));
  EXPECT_TRUE(tcp_connects(n1.ns, n2.ns, n2.address, 1000, 2379));
  EXPECT_TRUE(ping(n1.ns, n2.address));
  ASSERT_TRUE(control->heal(applied->id).ok());
  EXPECT_TRUE(tcp_connects(n1.ns, n2.ns, n2.address, 1000, 2380));
}
