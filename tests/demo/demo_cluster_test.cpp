// Three faultline-demo-node processes on loopback: membership forms, quorum
// reads and writes succeed, a SIGSTOPped node is declared dead and alive
// again after SIGCONT, and the detector/breaker/retry events arrive on a
// unix datagram socket the test binds (FAULTLINE_EVENTS).
#include <signal.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <mutex>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "examples/demo-node/wire.h"

namespace faultline::demo {
namespace {

namespace fs = std::filesystem;

// A datagram socket bound at a unique path; removed on destruction.
struct EventSocket {
  fs::path path;
  int fd = -1;
  EventSocket() {
    path = fs::temp_directory_path() / ("demo-events-" + std::to_string(::getpid()) + ".sock");
    fs::remove(path);
    fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", path.c_str());
    EXPECT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    // Read continuously: a unix datagram queue holds few datagrams, and a
    // full queue makes the node drop events.
    reader = std::thread([this] {
      char buf[65536];
      while (!stop) {
        pollfd p{fd, POLLIN, 0};
        if (::poll(&p, 1, 50) <= 0) continue;
        ssize_t n = ::recv(fd, buf, sizeof buf, MSG_DONTWAIT);
        if (n <= 0) continue;
        std::lock_guard lock(mu);
        events.push_back(nlohmann::json::parse(std::string(buf, static_cast<std::size_t>(n)), nullptr, false));
      }
    });
  }
  ~EventSocket() {
    stop = true;
    reader.join();
    ::close(fd);
    fs::remove(path);
  }
  std::vector<nlohmann::json> drain() {
    std::lock_guard lock(mu);
    return events;
  }
  std::atomic<bool> stop{false};
  std::mutex mu;
  std::vector<nlohmann::json> events;
  std::thread reader;
};

// The nodes; killed (SIGCONT first) and their data removed on destruction.
struct Cluster {
  std::vector<pid_t> pids;
  std::vector<Endpoint> endpoints;
  fs::path dir;
  Cluster(const std::string& events) {
    dir = fs::temp_directory_path() / ("demo-cluster-" + std::to_string(::getpid()));
    fs::create_directories(dir);
    std::uint16_t base = static_cast<std::uint16_t>(20000 + (::getpid() % 2000) * 10);
    std::string peers;
    for (int i = 0; i < 3; ++i) {
      endpoints.push_back({"127.0.0.1", static_cast<std::uint16_t>(base + i)});
      peers += (i ? "," : "") + std::string("n") + std::to_string(i + 1) + "=" + endpoints.back().str();
    }
    for (int i = 0; i < 3; ++i) {
      pid_t pid = ::fork();
      if (pid == 0) {
        ::setenv("FAULTLINE_EVENTS", events.c_str(), 1);
        std::string bin = std::string(FAULTLINE_BIN_DIR) + "/faultline-demo-node";
        std::string name = "n" + std::to_string(i + 1), data = (dir / name).string(), listen = endpoints[i].str();
        ::execl(bin.c_str(), bin.c_str(), "--name", name.c_str(), "--listen", listen.c_str(), "--peers", peers.c_str(),
                "--data", data.c_str(), static_cast<char*>(nullptr));
        ::_exit(127);
      }
      pids.push_back(pid);
    }
  }
  ~Cluster() {
    for (pid_t p : pids) {
      ::kill(p, SIGCONT);
      ::kill(p, SIGKILL);
      ::waitpid(p, nullptr, 0);
    }
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
  Result<nlohmann::json> call(int node, const nlohmann::json& request) {
    auto c = Connection::connect(endpoints[node], 2 * kSecond);
    if (!c) return c.error();
    return c->call(request, 5 * kSecond);
  }
  // What node `observer` believes about `subject` ("" if unreachable).
  std::string status(int observer, const std::string& subject) {
    auto r = call(observer, {{"op", "status"}});
    if (!r) return "";
    return (*r)["members"].value(subject, "");
  }
  bool wait_status(int observer, const std::string& subject, const std::string& want, Nanos timeout) {
    Nanos end = monotonic_now() + timeout;
    while (monotonic_now() < end) {
      if (status(observer, subject) == want) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return false;
  }
};

TEST(DemoCluster, MembershipQuorumOpsPauseAndEvents) {
  EventSocket events;
  Cluster cluster(events.path.string());
  // Everyone up and seeing everyone alive.
  for (int i = 0; i < 3; ++i)
    for (int j = 0; j < 3; ++j)
      if (i != j) {
        ASSERT_TRUE(cluster.wait_status(i, "n" + std::to_string(j + 1), "alive", 10 * kSecond)) << i << "->" << j;
      }

  // A write through n1 is read back through n2 and n3 (quorum).
  auto w = cluster.call(0, {{"op", "write"}, {"key", "k"}, {"value", "v1"}});
  ASSERT_TRUE(w.ok()) << w.error().message;
  EXPECT_TRUE(w->value("ok", false)) << w->dump();
  for (int i = 1; i < 3; ++i) {
    auto r = cluster.call(i, {{"op", "read"}, {"key", "k"}});
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->value("value", ""), "v1") << r->dump();
  }

  // SIGSTOP n3: n1 declares it dead; quorum ops still succeed with n1+n2.
  ASSERT_EQ(::kill(cluster.pids[2], SIGSTOP), 0);
  EXPECT_TRUE(cluster.wait_status(0, "n3", "dead", 15 * kSecond)) << "n1 never declared the stopped n3 dead";
  auto w2 = cluster.call(1, {{"op", "write"}, {"key", "k"}, {"value", "v2"}});
  ASSERT_TRUE(w2.ok());
  EXPECT_TRUE(w2->value("ok", false)) << w2->dump();
  auto r2 = cluster.call(0, {{"op", "read"}, {"key", "k"}});
  ASSERT_TRUE(r2.ok());
  EXPECT_EQ(r2->value("value", ""), "v2") << r2->dump();

  // SIGCONT: n3 refutes and is alive again everywhere.
  ASSERT_EQ(::kill(cluster.pids[2], SIGCONT), 0);
  EXPECT_TRUE(cluster.wait_status(0, "n3", "alive", 15 * kSecond)) << "n1 never saw n3 alive again";
  EXPECT_TRUE(cluster.wait_status(1, "n3", "alive", 15 * kSecond)) << "n2 never saw n3 alive again";

  // The events on our socket: n1's verdicts on n3 (dead, then alive), and
  // breaker calls/results and retry attempts from the coordinators.
  auto all = events.drain();
  std::vector<std::string> n1_on_n3;
  std::set<std::string> types;
  for (const auto& e : all) {
    ASSERT_TRUE(e.is_object());
    EXPECT_FALSE(e.contains("time")) << "the agent stamps events, the SUT must not: " << e.dump();
    types.insert(e.value("type", ""));
    if (e.value("type", "") == "detector" && e.value("node", "") == "n1" && e.value("subject", "") == "n3")
      n1_on_n3.push_back(e.value("status", ""));
  }
  EXPECT_TRUE(types.count("detector") && types.count("breaker") && types.count("retry")) << all.size() << " events";
  ASSERT_GE(n1_on_n3.size(), 2u);
  EXPECT_NE(std::find(n1_on_n3.begin(), n1_on_n3.end(), "dead"), n1_on_n3.end());
  EXPECT_EQ(n1_on_n3.back(), "alive");
}

}  // namespace
}  // namespace faultline::demo
