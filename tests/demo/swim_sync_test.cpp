// The demo node's SWIM state sync (examples/demo-node/swim_sync.h) on
// in-process reference SwimNodes: a member held suspect at an incarnation
// it has already refuted, its refutation's gossip used up, stays suspect
// without the sync and is alive again after one sync ping and its ack.
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "examples/demo-node/swim_sync.h"

namespace faultline::demo {
namespace {

using reference::Gossip;
using reference::GossipKind;
using reference::Message;
using reference::MessageType;
using reference::Status;
using reference::SwimConfig;
using reference::SwimNode;

constexpr Nanos kStart = 1'000'000'000;

Message gossip_to(const std::string& to, Gossip g) {
  return Message{MessageType::kGossip, "c", to, 0, {}, {std::move(g)}};
}

// b refuted suspect{b, 0} (b is at incarnation 1) and has sent its alive{b,1}
// as often as it may; a took suspect{b, 0} from c and holds b suspect at 0.
struct StaleSuspicion : ::testing::Test {
  SwimNode a{"a", SwimConfig{}, 1, kStart};
  SwimNode b{"b", SwimConfig{}, 2, kStart};
  void SetUp() override {
    for (auto* n : {&a, &b})
      for (const char* peer : {"a", "b", "c"})
        if (n->self() != peer) n->add_member(peer);
    (void)b.receive(gossip_to("b", Gossip{GossipKind::kSuspect, "b", 0, "c"}), kStart);
    ASSERT_EQ(b.incarnation(), 1u);
    for (int i = 0; i < 100 && b.pending_gossip() > 0; ++i)
      (void)b.receive(Message{MessageType::kPing, "c", "b", 7, {}, {}}, kStart);
    ASSERT_EQ(b.pending_gossip(), 0u) << "b's refutation should be used up";
    (void)a.receive(gossip_to("a", Gossip{GossipKind::kSuspect, "b", 0, "c"}), kStart);
    ASSERT_EQ(a.member("b")->status, Status::kSuspect);
  }
  // Delivers `message` to b, lets b answer (with or without the sync), and
  // delivers b's answers to a.
  void exchange(const Message& message, bool sync) {
    auto replies = b.receive(message, kStart);
    if (sync) answer_sync(message, b, replies);
    for (const auto& r : replies)
      if (r.to == "a") (void)a.receive(r, kStart);
  }
};

TEST_F(StaleSuspicion, SyncPingsGoOnlyToMembersHeldSuspectOrDead) {
  auto pings = sync_pings(a, {"b", "c"});
  ASSERT_EQ(pings.size(), 1u);
  EXPECT_EQ(pings[0].to, "b");
  EXPECT_EQ(pings[0].from, "a");
  EXPECT_EQ(pings[0].type, MessageType::kPing);
  EXPECT_EQ(pings[0].seq, 0u);
}

TEST_F(StaleSuspicion, WithoutTheSyncTheSuspicionStays) {
  exchange(sync_pings(a, {"b", "c"}).at(0), /*sync=*/false);
  EXPECT_EQ(a.member("b")->status, Status::kSuspect);
}

TEST_F(StaleSuspicion, TheSyncAckCarriesTheNewerIncarnation) {
  exchange(sync_pings(a, {"b", "c"}).at(0), /*sync=*/true);
  EXPECT_EQ(a.member("b")->status, Status::kAlive);
  EXPECT_EQ(a.member("b")->incarnation, 1u);
  EXPECT_TRUE(sync_pings(a, {"b", "c"}).empty());
}

TEST_F(StaleSuspicion, AProbeAckIsLeftAlone) {
  Message probe{MessageType::kPing, "a", "b", 5, {}, {}};
  auto replies = b.receive(probe, kStart);
  auto before = replies;
  answer_sync(probe, b, replies);
  EXPECT_EQ(replies, before);
}

TEST_F(StaleSuspicion, ASuspicionAboveTheNodesIncarnationIsNotRevived) {
  // As with bug_suspect_bumps_incarnation: a holds b suspect at 2, b is at 1.
  (void)a.receive(gossip_to("a", Gossip{GossipKind::kSuspect, "b", 2, "c"}), kStart);
  ASSERT_EQ(a.member("b")->incarnation, 2u);
  exchange(sync_pings(a, {"b", "c"}).at(0), /*sync=*/true);
  EXPECT_EQ(a.member("b")->status, Status::kSuspect);
}

}  // namespace
}  // namespace faultline::demo
