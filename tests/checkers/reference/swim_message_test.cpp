#include "checkers/reference/swim_message.h"

#include <gtest/gtest.h>

namespace faultline::reference {
namespace {

TEST(SwimMessage, EncodeIsCompactAndRoundTrips) {
  Message m{MessageType::kPing, "n1", "n2", 7, "", {{GossipKind::kSuspect, "n9", 3, "n1"}}};
  EXPECT_EQ(encode(m), R"({"d":"n2","f":"n1","g":[["s","n9",3,"n1"]],"s":7,"t":"ping"})");
  auto back = decode(encode(m));
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(*back, m);
}

TEST(SwimMessage, EveryTypeAndGossipKindRoundTrips) {
  for (auto type : {MessageType::kPing, MessageType::kPingReq, MessageType::kAck, MessageType::kNack,
                    MessageType::kGossip}) {
    Message m{type, "a", "b", 18446744073709551615ull, type == MessageType::kPingReq ? "c" : "", {}};
    m.gossip = {{GossipKind::kAlive, "x", 0, ""}, {GossipKind::kDead, "y", 5, "a"}};
    auto back = decode(encode(m));
    ASSERT_TRUE(back.ok()) << to_string(type) << ": " << back.error().message;
    EXPECT_EQ(*back, m) << to_string(type);
  }
}

TEST(SwimMessage, DecodeRejectsBadInputNamingTheField) {
  struct Case {
    const char* text;
    const char* mentions;
  } cases[] = {
      {"", "not valid JSON"},
      {"[1]", "not a JSON object"},
      {R"({"f":"a","d":"b","s":1})", "'t'"},
      {R"({"t":"pong","f":"a","d":"b","s":1})", "unknown type 'pong'"},
      {R"({"t":"ping","d":"b","s":1})", "'f'"},
      {R"({"t":"ping","f":"a","d":"b","s":-1})", "'s'"},
      {R"({"t":"ping-req","f":"a","d":"b","s":1})", "'x'"},
      {R"({"t":"ping","f":"a","d":"b","s":1,"g":{}})", "'g'"},
      {R"({"t":"ping","f":"a","d":"b","s":1,"g":[["q","n",1,""]]})", "unknown kind 'q'"},
      {R"({"t":"ping","f":"a","d":"b","s":1,"g":[["a","n",1]]})", "gossip entry 0"},
  };
  for (const auto& c : cases) {
    auto r = decode(c.text);
    ASSERT_FALSE(r.ok()) << c.text;
    EXPECT_NE(r.error().message.find(c.mentions), std::string::npos) << c.text << " -> " << r.error().message;
  }
}

}  // namespace
}  // namespace faultline::reference
