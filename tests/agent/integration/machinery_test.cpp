// Integration tests of the agent's safety machinery with real processes and
// real files: the authentication matrix, journal replay after kill -9, lease
// expiry, duration auto-heal, SIGTERM. The agent is faultline-agent-testmech
// (the real program plus the marker mechanism for kind disk-slow).
#include "tests/agent/integration/agent_process.h"

namespace faultline::agent::testing {
namespace {

const char* kTestAgent = FAULTLINE_TESTMECH_AGENT_BIN;

TEST(AgentAuth, RefusesEveryBadRequestChangesNothingAndKeepsServing) {
  TempDir dir;
  AgentProcess agent(kTestAgent, dir.path());
  ASSERT_TRUE(agent.start());
  RawConnection raw(agent.port(), agent.token());
  auto apply_body = [&](const std::string& marker, int id) {
    return nlohmann::json{{"id", id}, {"op", "apply"}, {"spec", nlohmann::json::parse(marker_spec(dir / marker))}};
  };
  auto expect_refused = [&](const std::string& what, const std::string& code, const std::string& text) {
    auto response = raw.read_json();
    EXPECT_EQ(response.value("ok", true), false) << what << ": " << response.dump();
    EXPECT_TRUE(response["id"].is_null()) << what;
    EXPECT_EQ(response["error"].value("code", ""), code) << what << ": " << response.dump();
    EXPECT_NE(response["error"].value("message", "").find(text), std::string::npos) << what << ": " << response.dump();
  };

  // unauthenticated: a bare request, and an envelope without mac
  raw.send_raw(apply_body("unauth", 1).dump() + "\n");
  expect_refused("unauthenticated", "unauthenticated", "not authenticated");
  // wrong signature
  raw.send_raw(protocol::make_envelope("wrong-token", raw.nonce(), 1, apply_body("wrongsig", 2).dump()) + "\n");
  expect_refused("wrong signature", "unauthenticated", "signature does not match");
  // truncated: a correctly signed line cut in half
  auto line = raw.signed_line(apply_body("truncated", 3));
  raw.send_raw(line.substr(0, line.size() / 2) + "\n");
  expect_refused("truncated", "invalid_input", "not valid JSON");
  // oversized: 2 MiB of a plausible request
  std::string huge = apply_body("oversized", 4).dump();
  huge.insert(huge.size() - 1, ",\"pad\":\"" + std::string(2u << 20, 'a') + "\"");
  raw.send_raw(raw.signed_line(nlohmann::json::parse(huge)));
  expect_refused("oversized", "invalid_input", "too large");
  // garbage
  static const char kGarbage[] = "\x00\x01\x02\xfe\xff garbage {{{";
  raw.send_raw(std::string(kGarbage, sizeof kGarbage - 1) + "\n");
  expect_refused("garbage", "invalid_input", "not valid JSON");
  // replayed: a valid apply, healed, then the same line again
  auto valid = raw.signed_line(apply_body("replayed", 5));
  raw.send_raw(valid);
  auto applied = raw.read_json();
  ASSERT_TRUE(applied.value("ok", false)) << applied.dump();
  ASSERT_TRUE(std::filesystem::exists(dir / "replayed"));
  auto healed = raw.call({{"id", 6}, {"op", "heal"}, {"fault", applied["result"]["id"]}});
  ASSERT_TRUE(healed.value("ok", false)) << healed.dump();
  raw.send_raw(valid);
  expect_refused("replayed", "unauthenticated", "replayed");

  for (auto marker : {"unauth", "wrongsig", "truncated", "oversized", "replayed"})
    EXPECT_FALSE(std::filesystem::exists(dir / marker)) << marker << " was applied";
  // Same connection, still serving; nothing listed.
  auto list = raw.call({{"id", 7}, {"op", "list"}});
  ASSERT_TRUE(list.value("ok", false)) << list.dump();
  EXPECT_TRUE(list["result"].empty()) << list.dump();
  // A new client is served too, and the refusals were logged.
  auto client = agent.client();
  ASSERT_TRUE(client);
  ASSERT_TRUE(client->hello().ok());
  EXPECT_TRUE(agent.alive());
  auto log = read_file(agent.log_path());
  EXPECT_NE(log.find("refused request from 127.0.0.1"), std::string::npos);
  EXPECT_NE(log.find("replayed request"), std::string::npos);
}

TEST(AgentAuth, RefusesToStartWithGroupReadableToken) {
  TempDir dir;
  std::ofstream(dir / "token") << "secret\n";
  ::chmod((dir / "token").c_str(), 0640);
  AgentProcess agent(kTestAgent, dir.path());
  EXPECT_FALSE(agent.start(/*expect_success=*/false));
  EXPECT_NE(read_file(agent.log_path()).find("accessible by group or other"), std::string::npos);
}

TEST(AgentJournal, KillNineThenRestartHealsEverythingWithinOneSecond) {
  TempDir dir;
  AgentProcess agent(kTestAgent, dir.path());
  ASSERT_TRUE(agent.start());
  {
    auto client = agent.client();
    ASSERT_TRUE(client);
    for (auto name : {"a", "b", "c"}) {
      auto applied = client->apply(parse_spec(marker_spec(dir / name)), 600'000'000'000);
      ASSERT_TRUE(applied.ok()) << applied.error().message;
    }
    agent.kill9();
  }
  for (auto name : {"a", "b", "c"}) ASSERT_TRUE(std::filesystem::exists(dir / name));
  ASSERT_TRUE(agent.start());
  auto healed = [&] { return !std::filesystem::exists(dir / "a") && !std::filesystem::exists(dir / "b") &&
                             !std::filesystem::exists(dir / "c"); };
  ASSERT_TRUE(eventually(healed, 1000ms - std::chrono::duration_cast<std::chrono::milliseconds>(
                                              std::chrono::steady_clock::now() - agent.started_at())));
  auto client = agent.client();
  auto list = client->list();
  ASSERT_TRUE(list.ok());
  EXPECT_TRUE(list->empty());
  // Compacted to nothing: only the preallocated blank lines are left.
  EXPECT_EQ(read_file(agent.state_dir() / "journal.jsonl").find_first_not_of('\n'), std::string::npos);
}

TEST(AgentLease, ClientThatVanishesHasItsFaultsHealedWithinLeasePlusOneSecond) {
  TempDir dir;
  AgentProcess agent(kTestAgent, dir.path());
  ASSERT_TRUE(agent.start());
  auto keeper = agent.client();
  ASSERT_TRUE(keeper->apply(parse_spec(marker_spec(dir / "kept")), 1'000'000'000).ok());
  auto vanishing = agent.client();
  ASSERT_TRUE(vanishing->apply(parse_spec(marker_spec(dir / "orphan1")), 1'000'000'000).ok());
  ASSERT_TRUE(vanishing->apply(parse_spec(marker_spec(dir / "orphan2")), 1'000'000'000).ok());
  vanishing->close();
  auto gone_at = std::chrono::steady_clock::now();
  bool healed = false;
  while (std::chrono::steady_clock::now() - gone_at < 2s) {
    ASSERT_TRUE(keeper->renew().ok());
    if (!std::filesystem::exists(dir / "orphan1") && !std::filesystem::exists(dir / "orphan2")) {
      healed = true;
      break;
    }
    std::this_thread::sleep_for(50ms);
  }
  EXPECT_TRUE(healed) << "orphaned faults still applied 2s (lease + 1s) after the client vanished";
  EXPECT_GE(std::chrono::steady_clock::now() - gone_at, 900ms) << "healed before the lease ran out";
  EXPECT_TRUE(std::filesystem::exists(dir / "kept")) << "a renewed lease expired";
  auto list = keeper->list();
  ASSERT_TRUE(list.ok());
  EXPECT_EQ(list->size(), 1u);
}

TEST(AgentLease, DurationHealsByItself) {
  TempDir dir;
  AgentProcess agent(kTestAgent, dir.path());
  ASSERT_TRUE(agent.start());
  auto client = agent.client();
  auto start = std::chrono::steady_clock::now();
  ASSERT_TRUE(client->apply(parse_spec(marker_spec(dir / "d", R"(,"duration":"500ms")"))).ok());
  EXPECT_TRUE(std::filesystem::exists(dir / "d"));
  EXPECT_TRUE(eventually([&] { return !std::filesystem::exists(dir / "d"); }, 1500ms));
  EXPECT_GE(std::chrono::steady_clock::now() - start, 450ms);
}

TEST(AgentShutdown, SigtermHealsEverythingBeforeExit) {
  TempDir dir;
  AgentProcess agent(kTestAgent, dir.path());
  ASSERT_TRUE(agent.start());
  auto client = agent.client();
  for (auto name : {"x", "y", "z"}) ASSERT_TRUE(client->apply(parse_spec(marker_spec(dir / name))).ok());
  auto status = agent.terminate();
  ASSERT_TRUE(status.has_value()) << "agent did not exit on SIGTERM";
  EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 0);
  for (auto name : {"x", "y", "z"}) EXPECT_FALSE(std::filesystem::exists(dir / name)) << name;
  // Every applied record in the journal is followed by its healed record.
  auto journal = read_file(agent.state_dir() / "journal.jsonl");
  auto count = [&](const std::string& what) {
    std::size_t n = 0;
    for (auto pos = journal.find(what); pos != std::string::npos; pos = journal.find(what, pos + 1)) ++n;
    return n;
  };
  EXPECT_EQ(count("\"op\":\"applied\""), 3u);
  EXPECT_EQ(count("\"op\":\"healed\""), 3u);
}

TEST(AgentProtocol, ManyRequestsInFlightFromSeveralThreads) {
  TempDir dir;
  AgentProcess agent(kTestAgent, dir.path());
  ASSERT_TRUE(agent.start());
  auto client = agent.client();
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; i < 25; ++i) {
        auto sample = client->clock_sample();
        if (sample.ok() && sample->controller_send <= sample->agent_mono &&
            sample->agent_mono <= sample->controller_receive)
          ++ok;
        (void)t;
      }
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), 100);
}

// Six applies held inside the (serialised) mechanism occupy more threads
// than the agent's connection threads; renewals, lists, clock samples, a new
// connection and an event subscription are still answered meanwhile.
TEST(AgentProtocol, HeldAppliesBlockNeitherQuickRequestsNorOtherConnections) {
  TempDir dir;
  AgentProcess agent(kTestAgent, dir.path());
  ASSERT_TRUE(agent.start());
  auto connected = AgentClient::connect(agent.endpoint(), 20'000'000'000);
  ASSERT_TRUE(connected.ok()) << connected.error().message;
  auto& slow = *connected;
  const auto release = dir / "release";
  constexpr int kHeld = 6;
  std::atomic<int> applied{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < kHeld; ++i)
    threads.emplace_back([&, i] {
      auto spec = marker_spec(dir / ("held" + std::to_string(i)), R"(,"x-hold_until":")" + release.string() + "\"");
      if (slow->apply(parse_spec(spec), 600'000'000'000).ok()) ++applied;
    });
  auto one_held = [&] {
    for (int i = 0; i < kHeld; ++i)
      if (std::filesystem::exists(dir / ("held" + std::to_string(i)))) return true;
    return false;
  };
  EXPECT_TRUE(eventually(one_held, 10s));

  EXPECT_TRUE(slow->renew().ok());
  EXPECT_TRUE(slow->list().ok());
  EXPECT_TRUE(slow->clock_sample().ok());
  auto other = agent.client();
  ASSERT_TRUE(other);
  EXPECT_TRUE(other->renew().ok());
  auto listed = other->list();
  ASSERT_TRUE(listed.ok()) << listed.error().message;
  EXPECT_TRUE(listed->empty()) << listed->dump();  // none applied yet: all held
  EXPECT_TRUE(other->subscribe_events([](const AgentEvent&) {}).ok());
  EXPECT_EQ(applied.load(), 0);

  std::ofstream(release) << "go\n";
  for (auto& t : threads) t.join();
  EXPECT_EQ(applied.load(), kHeld);
  auto all = slow->list();
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->size(), static_cast<std::size_t>(kHeld));
  EXPECT_TRUE(slow->heal_all().ok());
}

}  // namespace
}  // namespace faultline::agent::testing
