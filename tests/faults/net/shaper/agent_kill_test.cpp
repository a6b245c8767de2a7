// The shaper inside the real agent: kill -9 faultline-agent while a
// partition, a delay (served by the NFQUEUE shaper on this kernel) and a loss
// are applied; the restarted agent heals all of them from its journal within
// 1 s and traffic is back to normal. Three namespaces on a bridge: the agent
// runs in n1; n2 is the delayed/lossy peer, n3 the partitioned one. The same
// for the ingress variants: a delay, a loss and a bandwidth limit on what n1
// receives (the NFQUEUE shaper and the statistic match on INPUT, an IFB
// device), healed by the restarted agent, IFB device and ingress qdisc included.
#include <gtest/gtest.h>

#include <numeric>

#include "tests/agent/integration/agent_process.h"
#include "tests/faults/net/shaper/mechanism_runner.h"
#include "tests/faults/net/shaper/udp_probe.h"
#include "tests/support/netns.h"
#include "tests/support/traffic.h"

namespace faultline::faults::shaper {
namespace {

using namespace std::chrono_literals;
using agent::testing::AgentProcess;
using agent::testing::TempDir;
using agent::testing::eventually;
using faultline::testing::NetnsCluster;
using faultline::testing::ScopedNetns;
namespace probe = faultline::testing::shaper_probe;

// Lines of iptables-save (filter and mangle) in ns that are ours.
std::string our_rules(const std::string& ns) {
  std::string ours;
  for (const char* table : {"filter", "mangle"}) {
    auto saved = NetnsCluster::exec(ns, {"iptables-save", "-t", table}).output;
    std::size_t start = 0;
    while (start < saved.size()) {
      auto end = saved.find('\n', start);
      auto line = saved.substr(start, end == std::string::npos ? std::string::npos : end - start);
      if (line.find("faultline") != std::string::npos || line.find("NFQUEUE") != std::string::npos)
        ours += std::string(table) + ": " + line + "\n";
      if (end == std::string::npos) break;
      start = end + 1;
    }
  }
  return ours;
}

double mean_rtt_ms(const std::string& ns, const std::string& target, std::uint16_t port, std::size_t* replies) {
  auto out = NetnsCluster::run_in_capture(ns, [&] {
    return nlohmann::json(probe::ping_rtts_ms(target, port, 40, 5000, 500)).dump();
  });
  if (!out) return -1;
  auto rtts = nlohmann::json::parse(*out).get<std::vector<double>>();
  if (replies) *replies = rtts.size();
  return rtts.empty() ? -1 : std::accumulate(rtts.begin(), rtts.end(), 0.0) / static_cast<double>(rtts.size());
}

faults::FaultSpec spec(const std::string& text) {
  auto parsed = faults::FaultSpec::parse_text(text);
  EXPECT_TRUE(parsed.ok()) << text;
  return parsed.ok() ? *parsed : faults::FaultSpec{};
}

TEST(ShaperAgentKill, KillNineWithPartitionShaperDelayAndLossThenRestartHealsAllWithinOneSecond) {
  auto created = NetnsCluster::create(3);
  ASSERT_TRUE(created.ok()) << created.error().message;
  auto& cluster = **created;
  const auto& host = cluster.node(0);
  const auto& peer = cluster.node(1);
  const auto& cut = cluster.node(2);
  auto path_works = [](const auto& from, const auto& to) {  // a fresh bridge may take a moment
    return eventually([&] { return faultline::testing::udp_delivered(from.ns, to.ns, to.address, 3) > 0; }, 3s);
  };
  ASSERT_TRUE(path_works(host, peer));
  ASSERT_TRUE(path_works(peer, host));
  ASSERT_TRUE(path_works(host, cut));
  auto echo = probe::UdpEcho::start(peer.ns, peer.address);
  ASSERT_TRUE(echo.ok()) << echo.error().message;
  const auto port = (*echo)->port();

  TempDir dir;
  AgentProcess agent(FAULTLINE_AGENT_BIN, dir.path(), {"--interface", host.interface});
  std::unique_ptr<agent::AgentClient> client;
  {
    ScopedNetns in_host(host.ns);  // the agent (forked here) and its client socket live in n1
    ASSERT_TRUE(in_host.ok()) << in_host.error();
    ASSERT_TRUE(agent.start());
    client = agent.client();
  }
  ASSERT_TRUE(client);
  const Nanos lease = 600'000'000'000;
  auto partition = client->apply(spec(R"({"kind":"partition","peers":[")" + cut.address + R"("]})"), lease);
  ASSERT_TRUE(partition.ok()) << partition.error().message;
  auto delay = client->apply(spec(R"({"kind":"delay","delay":"50ms","destinations":[")" + peer.address + R"("]})"),
                             lease);
  ASSERT_TRUE(delay.ok()) << delay.error().message;
  auto loss = client->apply(spec(R"({"kind":"loss","percent":30,"destinations":[")" + peer.address + R"("]})"), lease);
  ASSERT_TRUE(loss.ok()) << loss.error().message;
  auto hello = client->hello();
  ASSERT_TRUE(hello.ok());
  if (hello->capabilities.value("delay", nlohmann::json::object()).value("mechanism", "") == "netem")
    GTEST_LOG_(INFO) << "this kernel has netem: the delay is served by netem, not the shaper";
  else
    EXPECT_EQ(delay->mechanism, "nfqueue-shaper");

  // In effect: 50 ms more to the peer (with loss), nothing to the cut node.
  std::size_t replies = 0;
  EXPECT_GT(mean_rtt_ms(host.ns, peer.address, port, &replies), 45.0);
  EXPECT_LT(replies, 40u) << "a 30% loss should cost some replies";
  EXPECT_EQ(faultline::testing::udp_delivered(host.ns, cut.ns, cut.address, 20), 0);

  client->close();
  client.reset();
  agent.kill9();
  // The agent is gone: its rules stay (the partition still holds), while
  // --queue-bypass lets the delayed traffic through unshaped.
  EXPECT_NE(our_rules(host.ns).find("NFQUEUE"), std::string::npos);
  EXPECT_EQ(faultline::testing::udp_delivered(host.ns, cut.ns, cut.address, 20), 0);

  {
    ScopedNetns in_host(host.ns);
    ASSERT_TRUE(agent.start());
  }
  const auto budget = 1000ms - std::chrono::duration_cast<std::chrono::milliseconds>(
                                   std::chrono::steady_clock::now() - agent.started_at());
  EXPECT_TRUE(eventually([&] { return our_rules(host.ns).empty(); }, budget))
      << "left after restart:\n" << our_rules(host.ns) << "log:\n" << agent::testing::read_file(agent.log_path());

  // Traffic is back to normal.
  EXPECT_EQ(faultline::testing::udp_delivered(host.ns, cut.ns, cut.address, 20), 20);
  EXPECT_EQ(faultline::testing::udp_delivered(host.ns, peer.ns, peer.address, 200), 200);
  double rtt = mean_rtt_ms(host.ns, peer.address, port, &replies);
  EXPECT_EQ(replies, 40u);
  EXPECT_LT(rtt, 5.0);
}

TEST(ShaperAgentKill, KillNineWithIngressDelayLossAndBandwidthThenRestartHealsAllWithinOneSecond) {
  auto created = NetnsCluster::create(2);
  ASSERT_TRUE(created.ok()) << created.error().message;
  auto& cluster = **created;
  const auto& host = cluster.node(0);
  const auto& peer = cluster.node(1);
  auto path_works = [](const auto& from, const auto& to) {
    return eventually([&] { return faultline::testing::udp_delivered(from.ns, to.ns, to.address, 3) > 0; }, 3s);
  };
  ASSERT_TRUE(path_works(host, peer));
  ASSERT_TRUE(path_works(peer, host));
  auto echo = probe::UdpEcho::start(peer.ns, peer.address);
  ASSERT_TRUE(echo.ok()) << echo.error().message;
  const auto port = (*echo)->port();
  auto leftovers = [&] { return our_rules(host.ns) + probe::ingress_leftovers_in(host.ns); };

  TempDir dir;
  AgentProcess agent(FAULTLINE_AGENT_BIN, dir.path(), {"--interface", host.interface});
  std::unique_ptr<agent::AgentClient> client;
  {
    ScopedNetns in_host(host.ns);
    ASSERT_TRUE(in_host.ok()) << in_host.error();
    ASSERT_TRUE(agent.start());
    client = agent.client();
  }
  ASSERT_TRUE(client);
  const Nanos lease = 600'000'000'000;
  const std::string from_peer = R"(,"direction":"ingress","destinations":[")" + peer.address + R"("]})";
  auto delay = client->apply(spec(R"({"kind":"delay","delay":"50ms")" + from_peer), lease);
  ASSERT_TRUE(delay.ok()) << delay.error().message;
  auto loss = client->apply(spec(R"({"kind":"loss","percent":30)" + from_peer), lease);
  ASSERT_TRUE(loss.ok()) << loss.error().message;
  auto bandwidth = client->apply(spec(R"({"kind":"bandwidth","rate":"100mbit")" + from_peer), lease);
  ASSERT_TRUE(bandwidth.ok()) << bandwidth.error().message;
  GTEST_LOG_(INFO) << "ingress mechanisms: delay " << delay->mechanism << ", loss " << loss->mechanism
                   << ", bandwidth " << bandwidth->mechanism;
  EXPECT_EQ(bandwidth->mechanism, "tbf-ifb");

  // In effect: the replies arriving at n1 wait 50 ms, some are lost.
  std::size_t replies = 0;
  EXPECT_GT(mean_rtt_ms(host.ns, peer.address, port, &replies), 45.0);
  EXPECT_LT(replies, 40u) << "a 30% loss should cost some replies";
  EXPECT_NE(probe::ingress_leftovers_in(host.ns), "") << "the ifb device and the ingress qdisc are in place";

  client->close();
  client.reset();
  agent.kill9();
  EXPECT_NE(leftovers(), "") << "the agent's death heals nothing by itself";

  {
    ScopedNetns in_host(host.ns);
    ASSERT_TRUE(agent.start());
  }
  const auto budget = 1000ms - std::chrono::duration_cast<std::chrono::milliseconds>(
                                   std::chrono::steady_clock::now() - agent.started_at());
  EXPECT_TRUE(eventually([&] { return leftovers().empty(); }, budget))
      << "left after restart:\n" << leftovers() << "log:\n" << agent::testing::read_file(agent.log_path());

  EXPECT_EQ(faultline::testing::udp_delivered(peer.ns, host.ns, host.address, 200), 200);
  double rtt = mean_rtt_ms(host.ns, peer.address, port, &replies);
  EXPECT_EQ(replies, 40u);
  EXPECT_LT(rtt, 5.0);
}

}  // namespace
}  // namespace faultline::faults::shaper
