// Integration tests of the SUT supervisor (start/stop/restart, environment,
// log capture, time namespace) and of event collection (datagram socket and
// tailed file, in order, stamped), with the real faultline-agent.
#include <sys/un.h>

#include "tests/agent/integration/agent_process.h"

namespace faultline::agent::testing {
namespace {

const char* kAgent = FAULTLINE_AGENT_BIN;

bool process_exists(int pid) { return pid > 0 && ::kill(pid, 0) == 0; }

TEST(AgentSupervisor, StartStopRestartWithLogCapture) {
  TempDir dir;
  AgentProcess agent(kAgent, dir.path());
  ASSERT_TRUE(agent.start());
  RawConnection raw(agent.port(), agent.token());
  SutSpec sut;
  sut.command = {"sh", "-c", "echo out-$GREETING-$FAULTLINE_EVENTS; echo err-line >&2; pwd; exec sleep 600"};
  sut.env = {{"GREETING", "hello"}};
  sut.working_dir = dir.path().string();
  auto client = agent.client();
  ASSERT_TRUE(client->start_sut(sut).ok());
  auto status = raw.call({{"id", 1}, {"op", "sut_status"}})["result"];
  ASSERT_TRUE(status.value("running", false)) << status.dump();
  const int first_pid = status["pid"];
  EXPECT_TRUE(process_exists(first_pid));
  const auto out = agent.state_dir() / "sut.stdout.log";
  const auto err = agent.state_dir() / "sut.stderr.log";
  ASSERT_TRUE(eventually([&] { return read_file(out).find("sleep") != std::string::npos ||
                                      read_file(out).find(dir.path().string()) != std::string::npos; }, 3s));
  EXPECT_NE(read_file(out).find("out-hello-" + (agent.state_dir() / "events.sock").string()), std::string::npos)
      << read_file(out);
  EXPECT_NE(read_file(out).find(dir.path().string()), std::string::npos) << "working dir not applied";
  EXPECT_NE(read_file(err).find("err-line"), std::string::npos);

  // Starting twice is refused, naming the running pid.
  auto twice = client->start_sut(sut);
  ASSERT_FALSE(twice.ok());
  EXPECT_NE(twice.error().message.find("already running"), std::string::npos);

  ASSERT_TRUE(client->restart_sut().ok());
  status = raw.call({{"id", 2}, {"op", "sut_status"}})["result"];
  const int second_pid = status["pid"];
  EXPECT_NE(second_pid, first_pid);
  EXPECT_EQ(status["starts"], 2);
  EXPECT_TRUE(eventually([&] { return !process_exists(first_pid); }, 2s));
  EXPECT_TRUE(eventually([&] {
    auto text = read_file(out);
    return text.find("out-hello") != text.rfind("out-hello");
  }, 3s)) << "restart did not append to the log";

  ASSERT_TRUE(client->stop_sut().ok());
  EXPECT_TRUE(eventually([&] { return !process_exists(second_pid); }, 2s));
  status = raw.call({{"id", 3}, {"op", "sut_status"}})["result"];
  EXPECT_FALSE(status.value("running", true));
  EXPECT_NE(status.value("last_exit", "").find("signal"), std::string::npos) << status.dump();
}

TEST(AgentSupervisor, MissingBinaryIsAClearError) {
  TempDir dir;
  AgentProcess agent(kAgent, dir.path());
  ASSERT_TRUE(agent.start());
  auto client = agent.client();
  SutSpec sut;
  sut.command = {"/nonexistent/faultline-sut"};
  auto started = client->start_sut(sut);
  ASSERT_FALSE(started.ok());
  EXPECT_NE(started.error().message.find("No such file"), std::string::npos) << started.error().message;
}

TEST(AgentSupervisor, MonotonicOffsetThroughATimeNamespace) {
  if (!std::filesystem::exists("/proc/self/ns/time")) GTEST_SKIP() << "no time namespaces on this kernel";
  TempDir dir;
  AgentProcess agent(kAgent, dir.path());
  ASSERT_TRUE(agent.start());
  auto client = agent.client();
  SutSpec sut;
  sut.command = {"sh", "-c", "cat /proc/uptime; exec sleep 600"};
  sut.monotonic_offset = 100'000LL * 1'000'000'000;  // 100000 s
  ASSERT_TRUE(client->start_sut(sut).ok());
  const auto out = agent.state_dir() / "sut.stdout.log";
  ASSERT_TRUE(eventually([&] { return !read_file(out).empty(); }, 3s));
  double sut_uptime = std::stod(read_file(out));
  double host_uptime = std::stod(read_file("/proc/uptime"));
  EXPECT_GT(sut_uptime, host_uptime + 99'000) << "SUT uptime " << sut_uptime << ", host " << host_uptime;
}

int send_datagram(const std::filesystem::path& socket_path, const std::string& payload) {
  int fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, socket_path.c_str(), sizeof addr.sun_path - 1);
  auto n = ::sendto(fd, payload.data(), payload.size(), 0, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  ::close(fd);
  return static_cast<int>(n);
}

// A started agent with one subscribed client collecting every event.
class AgentEventsFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(agent_.start());
    client_ = agent_.client();
    ASSERT_TRUE(client_->subscribe_events([this](const AgentEvent& e) {
      std::lock_guard lock(mutex_);
      events_.push_back(e);
    }).ok());
  }
  std::filesystem::path socket_path() const { return agent_.state_dir() / "events.sock"; }
  bool wait_for(std::size_t count) {
    return eventually([&] { std::lock_guard lock(mutex_); return events_.size() >= count; }, 5s);
  }

  TempDir dir_;
  AgentProcess agent_{kAgent, dir_.path()};
  std::unique_ptr<AgentClient> client_;
  std::mutex mutex_;
  std::vector<AgentEvent> events_;
};

TEST_F(AgentEventsFixture, DatagramsArriveInOrderStampedWithAgentMonotonic) {
  const Nanos before = monotonic_now();
  constexpr int kCount = 200;
  for (int i = 0; i < kCount; ++i) {
    nlohmann::json e = {{"type", "retry"}, {"node", "n1"}, {"op", i}, {"attempt", 0}, {"delay", 0}, {"outcome", "success"}};
    ASSERT_GT(send_datagram(socket_path(), e.dump()), 0);
    if (i == 100) {
      ASSERT_GT(send_datagram(socket_path(), "not json"), 0);  // rejected, counted, no effect
    }
  }
  ASSERT_TRUE(wait_for(kCount));
  const Nanos after = monotonic_now();
  std::lock_guard lock(mutex_);
  ASSERT_EQ(events_.size(), static_cast<std::size_t>(kCount));
  for (int i = 0; i < kCount; ++i) {
    EXPECT_EQ(events_[i].event["op"], i);
    EXPECT_EQ(events_[i].event["type"], "retry");
    EXPECT_GE(events_[i].agent_mono, before);
    EXPECT_LE(events_[i].agent_mono, after);
    if (i > 0) {
      EXPECT_GE(events_[i].agent_mono, events_[i - 1].agent_mono);
    }
  }
}

// An agent that reads late (here: stopped for 400 ms) still stamps each
// event with when the SUT sent it (the kernel's send stamp), so a loaded
// host does not shift the SUT's events in the history.
TEST_F(AgentEventsFixture, StampIsWhenTheSutSentItNotWhenTheAgentReadIt) {
  ASSERT_EQ(::kill(agent_.pid(), SIGSTOP), 0);
  const Nanos sent = monotonic_now();
  const int n = send_datagram(socket_path(), nlohmann::json{{"type", "log"}, {"message", "while stopped"}}.dump());
  std::this_thread::sleep_for(400ms);
  ASSERT_EQ(::kill(agent_.pid(), SIGCONT), 0);
  ASSERT_GT(n, 0);
  ASSERT_TRUE(wait_for(1));
  std::lock_guard lock(mutex_);
  EXPECT_GE(events_[0].agent_mono, sent - 5'000'000);
  EXPECT_LT(events_[0].agent_mono, sent + 100'000'000) << "stamped " << (events_[0].agent_mono - sent) / 1'000'000
                                                        << " ms after the send: the read time, not the send time";
}

TEST(AgentEvents, BufferedWhileUnsubscribedAndTailedFromAFile) {
  TempDir dir;
  const auto events_file = dir / "events.jsonl";
  std::ofstream(events_file) << R"({"type":"log","message":"before start: skipped"})" << "\n";
  AgentProcess agent(kAgent, dir.path(), {"--events-file", events_file.string(), "--event-buffer", "3"});
  ASSERT_TRUE(agent.start());
  const auto socket_path = agent.state_dir() / "events.sock";
  for (int i = 0; i < 5; ++i) ASSERT_GT(send_datagram(socket_path, nlohmann::json{{"type", "log"}, {"n", i}}.dump()), 0);
  std::this_thread::sleep_for(200ms);
  auto client = agent.client();
  std::mutex mutex;
  std::vector<nlohmann::json> events;
  ASSERT_TRUE(client->subscribe_events([&](const AgentEvent& e) {
    std::lock_guard lock(mutex);
    events.push_back(e.event);
  }).ok());
  {
    std::ofstream append(events_file, std::ios::app);
    append << R"({"type":"detector","node":"n1","subject":"n2","status":"suspect","incarnation":0})" << "\n";
  }
  ASSERT_TRUE(eventually([&] { std::lock_guard lock(mutex); return events.size() >= 4; }, 3s));
  std::lock_guard lock(mutex);
  ASSERT_EQ(events.size(), 4u);
  EXPECT_EQ(events[0]["n"], 2);  // the two oldest were dropped (buffer of 3)
  EXPECT_EQ(events[2]["n"], 4);
  EXPECT_EQ(events[3]["type"], "detector");
  RawConnection raw(agent.port(), agent.token());
  auto stats = raw.call({{"id", 1}, {"op", "stats"}});
  EXPECT_EQ(stats["result"]["events"]["dropped_while_unsubscribed"], 2) << stats.dump();
}

}  // namespace
}  // namespace faultline::agent::testing
