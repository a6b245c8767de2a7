// Unit tests of Session (framing + authentication + refusal) and the
// Dispatcher's input checks, and of the EventHub's ordering and bounds.
#include <gtest/gtest.h>

#include <filesystem>

#include <unistd.h>

#include "agent/core/dispatcher.h"
#include "agent/core/session.h"
#include "agent/protocol/messages.h"
#include "tests/agent/marker_mechanism.h"

namespace faultline::agent {
namespace {

struct Harness {
  std::vector<nlohmann::json> replies;
  std::vector<nlohmann::json> submitted;
  Session session{"tok", "test-peer", [this](std::string line) { replies.push_back(nlohmann::json::parse(line)); },
                  [this](nlohmann::json body) { submitted.push_back(std::move(body)); }};
  std::string nonce() { return nlohmann::json::parse(session.greeting())["nonce"]; }
};

TEST(Session, GreetingCarriesAFreshNonce) {
  Harness a, b;
  EXPECT_EQ(a.nonce().size(), 32u);
  EXPECT_NE(a.nonce(), b.nonce());
}

TEST(Session, SubmitsAuthenticRequestsAndRefusesTheRestWithoutStopping) {
  Harness h;
  const auto nonce = h.nonce();
  const std::string body = R"({"id":1,"op":"list"})";
  const auto good = protocol::make_envelope("tok", nonce, 1, body);
  h.session.feed("garbage\n");
  h.session.feed(R"({"body":"{}"})" "\n");
  h.session.feed(protocol::make_envelope("wrong", nonce, 1, body) + "\n");
  h.session.feed(good.substr(0, good.size() - 5) + "\n");  // truncated
  h.session.feed(good + "\n");
  h.session.feed(good + "\n");  // replayed
  h.session.feed(std::string(protocol::kMaxRequestBytes + 10, 'x'));
  h.session.feed("\n");
  h.session.feed(protocol::make_envelope("tok", nonce, 2, R"({"id":2,"op":"hello"})") + "\n");
  ASSERT_EQ(h.submitted.size(), 2u);
  EXPECT_EQ(h.submitted[0]["op"], "list");
  EXPECT_EQ(h.submitted[1]["op"], "hello");
  ASSERT_EQ(h.replies.size(), 6u);
  const char* expected[] = {"invalid_input", "unauthenticated", "unauthenticated",
                            "invalid_input", "unauthenticated", "invalid_input"};
  for (std::size_t i = 0; i < h.replies.size(); ++i) {
    EXPECT_FALSE(h.replies[i]["ok"].get<bool>());
    EXPECT_TRUE(h.replies[i]["id"].is_null());
    EXPECT_EQ(h.replies[i]["error"]["code"], expected[i]) << h.replies[i].dump();
  }
  EXPECT_NE(h.replies[4]["error"]["message"].get<std::string>().find("replayed"), std::string::npos);
  EXPECT_NE(h.replies[5]["error"]["message"].get<std::string>().find("too large"), std::string::npos);
  EXPECT_EQ(h.session.refused(), 6u);
}

class DispatcherTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("faultline-disp-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
    registry_.add(testing::kMarkerKind, 0, [] { return std::make_unique<testing::MarkerMechanism>(); });
    host_.state_dir = dir_;
    journal_ = std::make_unique<Journal>(dir_ / "journal.jsonl");
    faults_ = std::make_unique<FaultManager>(registry_, host_, *journal_);
    ASSERT_TRUE(faults_->recover().ok());
    dispatcher_ = std::make_unique<Dispatcher>(*faults_, nullptr, hub_, AgentInfo{"t", "h", "", dir_.string()});
  }
  void TearDown() override {
    faults_->shutdown();
    std::filesystem::remove_all(dir_);
  }
  nlohmann::json call(const nlohmann::json& body) { return dispatcher_->handle(body, ConnectionContext{7, {}}); }

  std::filesystem::path dir_;
  faults::MechanismRegistry registry_;
  faults::HostContext host_;
  EventHub hub_;
  std::unique_ptr<Journal> journal_;
  std::unique_ptr<FaultManager> faults_;
  std::unique_ptr<Dispatcher> dispatcher_;
};

TEST_F(DispatcherTest, RejectsIllFormedRequestsNamingTheField) {
  auto no_id = call({{"op", "list"}});
  EXPECT_NE(no_id["error"]["message"].get<std::string>().find("\"id\""), std::string::npos);
  auto no_op = call({{"id", 1}});
  EXPECT_NE(no_op["error"]["message"].get<std::string>().find("\"op\""), std::string::npos);
  auto unknown = call({{"id", 2}, {"op", "rm -rf"}});
  EXPECT_NE(unknown["error"]["message"].get<std::string>().find("unknown op"), std::string::npos);
  auto bad_kind = call({{"id", 3}, {"op", "apply"}, {"spec", {{"kind", "meteor"}}}});
  EXPECT_EQ(bad_kind["error"]["code"], "invalid_input");
  auto bad_lease = call({{"id", 4}, {"op", "apply"}, {"spec", {{"kind", testing::kMarkerKind}, {"delay", "1ms"}, {"x-marker", "/tmp/x"}}},
                         {"lease", 5}});
  EXPECT_NE(bad_lease["error"]["message"].get<std::string>().find("lease"), std::string::npos);
  auto no_sut = call({{"id", 5}, {"op", "sut_start"}});
  EXPECT_EQ(no_sut["error"]["code"], "unavailable");
  EXPECT_EQ(faults_->size(), 0u);
}

TEST_F(DispatcherTest, ApplyListHealRoundTrip) {
  auto applied = call({{"id", "a"},
                       {"op", "apply"},
                       {"spec", {{"kind", testing::kMarkerKind}, {"delay", "1ms"}, {"x-marker", (dir_ / "m").string()}}},
                       {"lease", "10s"}});
  ASSERT_TRUE(applied["ok"].get<bool>()) << applied.dump();
  EXPECT_EQ(applied["id"], "a");
  auto list = call({{"id", 2}, {"op", "list"}});
  ASSERT_EQ(list["result"].size(), 1u);
  EXPECT_EQ(list["result"][0]["lease_ns"], 10'000'000'000);
  EXPECT_EQ(list["result"][0]["owner"], 7);
  auto healed = call({{"id", 3}, {"op", "heal"}, {"fault", applied["result"]["id"]}});
  EXPECT_TRUE(healed["ok"].get<bool>());
  EXPECT_FALSE(std::filesystem::exists(dir_ / "m"));
  auto clock = call({{"id", 4}, {"op", "clock"}});
  EXPECT_GT(clock["result"]["agent_mono"].get<Nanos>(), 0);
}

TEST(EventHub, BuffersBoundedThenDeliversInOrder) {
  EventHub hub(3);
  for (int i = 0; i < 5; ++i) hub.publish(i, {{"n", i}});
  EXPECT_EQ(hub.dropped(), 2u);
  std::vector<int> seen;
  hub.subscribe(1, [&](Nanos mono, const nlohmann::json& e) {
    EXPECT_EQ(mono, e["n"].get<int>());
    seen.push_back(e["n"]);
  });
  hub.publish(5, {{"n", 5}});
  EXPECT_EQ(seen, (std::vector<int>{2, 3, 4, 5}));
  hub.unsubscribe(1);
  hub.publish(6, {{"n", 6}});
  EXPECT_EQ(seen.size(), 4u);
}

}  // namespace
}  // namespace faultline::agent
