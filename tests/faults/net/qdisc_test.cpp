// netem and tbf through libnl on real interfaces in namespaces: probe tells
// the truth, tbf's rate is measured, foreign qdiscs are refused, the netem
// error on a kernel without sch_netem is clear and leaves nothing behind.
#include <gtest/gtest.h>

#include <sys/socket.h>
#include <poll.h>
#include <time.h>

#include <atomic>
#include <cstdio>
#include <thread>

#include "faults/net/netem.h"
#include "faults/net/tbf.h"
#include "faults/net/tc_qdisc.h"
#include "faults/registry.h"
#include "tests/faults/net/net_test_util.h"

using namespace faultline;
using namespace faultline::testing;
using namespace faultline::net_test;
using faults::net::NetemMechanism;
using faults::net::TbfBandwidth;

namespace {

double now_s() {
  timespec ts{};
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

std::string qdiscs(const std::string& ns) { return NetnsCluster::exec(ns, {"tc", "qdisc", "show", "dev", "eth0"}).output; }

// Does `tc` (independently of us) manage to add this qdisc in a scratch namespace?
bool tc_can_add(const std::string& ns, std::vector<std::string> qdisc_args) {
  std::vector<std::string> argv = {"tc", "qdisc", "add", "dev", "lo", "root", "handle", "77:"};
  argv.insert(argv.end(), qdisc_args.begin(), qdisc_args.end());
  bool ok = NetnsCluster::exec(ns, argv).exit_code == 0;
  NetnsCluster::exec(ns, {"tc", "qdisc", "del", "dev", "lo", "root"});
  return ok;
}

// Wire bits per second (UDP payload + 42 bytes of headers, as tbf counts them)
// received in to_ns while from_ns sends `seconds` of 1000-byte datagrams at ~1.6 mbit.
double measured_rate(const std::string& from_ns, const std::string& to_ns, const std::string& to_addr, double seconds) {
  auto receiver = UdpReceiver::open(to_ns, to_addr);
  if (!receiver.ok()) return -1;
  std::atomic<bool> sending{true};
  std::vector<double> arrivals;
  std::thread rx([&] {
    char buffer[2048];
    for (;;) {
      pollfd p{receiver->fd.get(), POLLIN, 0};
      int rc = ::poll(&p, 1, 300);
      if (rc <= 0) {
        if (!sending) break;
        continue;
      }
      while (::recv(receiver->fd.get(), buffer, sizeof buffer, MSG_DONTWAIT) > 0) arrivals.push_back(now_s());
    }
  });
  int count = static_cast<int>(seconds * 200);
  udp_send(from_ns, to_addr, receiver->port, count, 1000, 5000);
  sending = false;
  rx.join();
  if (arrivals.size() < 30) return 0;
  // Skip the first packets (the initial bucket lets a burst through).
  std::size_t first = 10;
  double span = arrivals.back() - arrivals[first];
  return static_cast<double>(arrivals.size() - 1 - first) * 1042 * 8 / span;
}

}  // namespace

TEST(QdiscProbe, TellsTheTruthOnThisKernel) {
  auto cluster = NetnsCluster::create(1);
  ASSERT_TRUE(cluster.ok()) << cluster.error().message;
  const auto& ns = (*cluster)->node(0).ns;
  bool tc_netem = tc_can_add(ns, {"netem", "delay", "1ms"});
  bool tc_tbf = tc_can_add(ns, {"tbf", "rate", "1mbit", "burst", "10k", "latency", "50ms"});
  NetemMechanism netem;
  TbfBandwidth tbf;
  auto netem_probe = netem.probe({});
  EXPECT_EQ(netem_probe.available, tc_netem) << netem_probe.reason;
  if (!tc_netem) {
    EXPECT_NE(netem_probe.reason.find("sch_netem not available in this kernel"), std::string::npos);
  }
  EXPECT_EQ(tbf.probe({}).available, tc_tbf) << tbf.probe({}).reason;
  // The registry serves loss with netem where it exists, else with the statistic fallback.
  faults::HostContext host;
  auto selected = faults::MechanismRegistry::instance().select("loss", host);
  ASSERT_TRUE(selected.ok());
  EXPECT_EQ((*selected)->name(), tc_netem ? "netem" : "iptables-statistic");
}

TEST(Netem, AppliesWhereTheKernelHasItElseFailsClearlyAndLeavesNothing) {
  auto cluster = NetnsCluster::create(2);
  ASSERT_TRUE(cluster.ok()) << cluster.error().message;
  auto& c = **cluster;
  const auto& n1 = c.node(0);
  NetemMechanism netem;
  bool kernel_has_netem = netem.probe({}).available;
  for (std::string json : {std::string(R"({"kind":"delay","delay":"50ms","jitter":"10ms","interface":"eth0"})"),
                           R"({"kind":"loss","percent":30,"interface":"eth0","destinations":[")" +
                               c.node(1).address + R"("]})"}) {
    auto record = plan_apply_in(n1.ns, netem, json);
    if (kernel_has_netem) {
      ASSERT_TRUE(record.ok()) << record.error().message;
      EXPECT_NE(qdiscs(n1.ns).find("netem"), std::string::npos) << qdiscs(n1.ns);
      NetemMechanism fresh;
      ASSERT_TRUE(heal_in(n1.ns, fresh, *record).ok());
    } else {
      ASSERT_FALSE(record.ok()) << json;
      EXPECT_EQ(record.error().code, ErrorCode::kUnavailable);
      EXPECT_NE(record.error().message.find("sch_netem not available in this kernel"), std::string::npos)
          << record.error().message;
    }
    EXPECT_EQ(qdiscs(n1.ns).find("fa17"), std::string::npos) << qdiscs(n1.ns);
    EXPECT_EQ(qdiscs(n1.ns).find("fa18"), std::string::npos) << qdiscs(n1.ns);
  }
}

TEST(Tbf, OneMegabitMeasuredWithinFifteenPercentAndHealedFromTheRecord) {
  auto cluster = NetnsCluster::create(2);
  ASSERT_TRUE(cluster.ok()) << cluster.error().message;
  auto& c = **cluster;
  const auto &n1 = c.node(0), &n2 = c.node(1);
  TbfBandwidth tbf;
  faults::HostContext host;
  host.default_interface = "eth0";
  auto record = plan_apply_in(n1.ns, tbf, R"({"kind":"bandwidth","rate":"1mbit"})", host);
  ASSERT_TRUE(record.ok()) << record.error().message;
  auto shown = qdiscs(n1.ns);
  EXPECT_NE(shown.find("tbf fa17:"), std::string::npos) << shown;
  double rate = measured_rate(n1.ns, n2.ns, n2.address, 2.5);
  std::printf("measured %.0f bit/s through tbf 1mbit\n", rate);
  EXPECT_GE(rate, 850e3);
  EXPECT_LE(rate, 1150e3);

  TbfBandwidth fresh;
  ASSERT_TRUE(heal_in(n1.ns, fresh, *record).ok());
  EXPECT_TRUE(heal_in(n1.ns, fresh, *record).ok());  // idempotent
  EXPECT_EQ(qdiscs(n1.ns).find("fa17"), std::string::npos);
  EXPECT_GT(measured_rate(n1.ns, n2.ns, n2.address, 0.5), 1.4e6);  // back to the sender's own 1.6 mbit
}

TEST(Tbf, OnlyTowardsListedDestinationsThroughAClassfulRootWithU32) {
  auto cluster = NetnsCluster::create(3);
  ASSERT_TRUE(cluster.ok()) << cluster.error().message;
  auto& c = **cluster;
  const auto &n1 = c.node(0), &n2 = c.node(1), &n3 = c.node(2);
  TbfBandwidth tbf;
  auto record = plan_apply_in(n1.ns, tbf,
                              R"({"kind":"bandwidth","rate":"1mbit","interface":"eth0","destinations":[")" +
                                  n2.address + R"("]})");
  ASSERT_TRUE(record.ok()) << record.error().message;
  auto shown = qdiscs(n1.ns);
  EXPECT_NE(shown.find("fa17:"), std::string::npos) << shown;
  EXPECT_NE(shown.find("tbf fa18:"), std::string::npos) << shown;
  // A 400 KB burst: n3 gets it all, n2 only what 1 mbit and a 50 ms queue let through.
  auto to2 = UdpReceiver::open(n2.ns, n2.address);
  auto to3 = UdpReceiver::open(n3.ns, n3.address);
  ASSERT_TRUE(to2.ok() && to3.ok());
  udp_send(n1.ns, n2.address, to2->port, 400, 1000, 20);
  udp_send(n1.ns, n3.address, to3->port, 400, 1000, 20);
  int got2 = to2->drain(300, 3000), got3 = to3->drain(300, 3000);
  EXPECT_GE(got3, 390);
  EXPECT_LE(got2, 60);
  EXPECT_GE(got2, 1);
  ASSERT_TRUE(heal_in(n1.ns, tbf, *record).ok());
  shown = qdiscs(n1.ns);
  EXPECT_EQ(shown.find("fa17"), std::string::npos) << shown;
  EXPECT_EQ(shown.find("fa18"), std::string::npos) << shown;
}

TEST(Tbf, RefusesARootQdiscSomeoneElseInstalledAndNeverRemovesIt) {
  auto cluster = NetnsCluster::create(1);
  ASSERT_TRUE(cluster.ok()) << cluster.error().message;
  const auto& n1 = (*cluster)->node(0);
  ASSERT_EQ(NetnsCluster::exec(n1.ns, {"tc", "qdisc", "add", "dev", "eth0", "root", "handle", "1:", "htb"}).exit_code, 0);
  TbfBandwidth tbf;
  auto record = plan_apply_in(n1.ns, tbf, R"({"kind":"bandwidth","rate":"1mbit","interface":"eth0"})");
  ASSERT_FALSE(record.ok());
  EXPECT_NE(record.error().message.find("did not install"), std::string::npos) << record.error().message;
  EXPECT_NE(record.error().message.find("eth0"), std::string::npos);
  EXPECT_NE(record.error().message.find("1:"), std::string::npos);
  nlohmann::json stale = {{"interface", "eth0"}, {"rate_bps", 1000000}};
  EXPECT_TRUE(heal_in(n1.ns, tbf, stale).ok());
  EXPECT_NE(qdiscs(n1.ns).find("htb 1:"), std::string::npos) << qdiscs(n1.ns);
}
