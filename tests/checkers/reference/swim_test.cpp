#include "checkers/reference/swim.h"

#include <algorithm>
#include <set>

#include <gtest/gtest.h>

#include "checkers/reference/detector_profiles.h"
#include "checkers/reference/swim_simulation.h"
#include "tests/checkers/reference/printers.h"
#include "common/units.h"

namespace faultline::reference {
namespace {

// LAN preset without the periodic gossip, so that the messages a test sees
// are only the protocol's own (gossip then rides on them, as in the paper).
SwimConfig quiet() {
  SwimConfig c = SwimConfig::lan();
  c.gossip_interval = 0;
  return c;
}

struct Node {
  SwimNode swim;
  std::vector<StatusChange> changes;
  Node(const std::string& self, int members, SwimConfig config = quiet(), std::uint64_t seed = 1)
      : swim(self, config, seed, 0) {
    swim.set_listener([this](const StatusChange& c) { changes.push_back(c); });
    for (int i = 0; i < members; ++i) swim.add_member(std::string(1, static_cast<char>('b' + i)));
  }
  std::vector<Message> hear(std::vector<Gossip> gossip, Nanos now, const std::string& from = "z") {
    return swim.receive(Message{MessageType::kGossip, from, swim.self(), 0, "", std::move(gossip)}, now);
  }
  Status status(const std::string& n) const { return swim.member(n)->status; }
  std::uint64_t inc(const std::string& n) const { return swim.member(n)->incarnation; }
};

Message ack(const Message& ping, Nanos = 0) { return Message{MessageType::kAck, ping.to, ping.from, ping.seq, "", {}}; }

std::vector<Message> of_type(const std::vector<Message>& out, MessageType t) {
  std::vector<Message> r;
  std::copy_if(out.begin(), out.end(), std::back_inserter(r), [t](const Message& m) { return m.type == t; });
  return r;
}

bool carries(const Message& m, const Gossip& g) {
  return std::find(m.gossip.begin(), m.gossip.end(), g) != m.gossip.end();
}

// ---- probing -----------------------------------------------------------------

TEST(Swim, DirectPingThenIndirectProbesThenSuspicionAtPeriodEnd) {
  Node a("a", 4);  // b c d e
  auto out = a.swim.tick(0);
  ASSERT_EQ(out.size(), 1u);
  ASSERT_EQ(out[0].type, MessageType::kPing);
  const std::string target = out[0].to;
  const std::uint64_t seq = out[0].seq;
  EXPECT_EQ(a.swim.next_deadline(), 500 * kMillisecond);
  EXPECT_TRUE(a.swim.tick(499 * kMillisecond).empty());

  out = a.swim.tick(500 * kMillisecond);
  ASSERT_EQ(out.size(), 3u) << "indirect_checks = 3";
  std::set<std::string> relays;
  for (const auto& m : out) {
    EXPECT_EQ(m.type, MessageType::kPingReq);
    EXPECT_EQ(m.target, target);
    EXPECT_EQ(m.seq, seq);
    EXPECT_NE(m.to, target);
    EXPECT_NE(m.to, "a");
    relays.insert(m.to);
  }
  EXPECT_EQ(relays.size(), 3u);
  EXPECT_EQ(a.swim.next_deadline(), 1 * kSecond);
  EXPECT_TRUE(a.changes.empty());

  out = a.swim.tick(1 * kSecond);
  ASSERT_EQ(a.changes.size(), 1u);
  EXPECT_EQ(a.changes[0], (StatusChange{1 * kSecond, "a", target, Status::kSuspect, 0}));
  // The next period's ping carries the suspicion.
  auto pings = of_type(out, MessageType::kPing);
  ASSERT_EQ(pings.size(), 1u);
  EXPECT_TRUE(carries(pings[0], Gossip{GossipKind::kSuspect, target, 0, "a"}));
}

TEST(Swim, IndirectAckPreventsSuspicion) {
  Node a("a", 4);
  auto ping = a.swim.tick(0).at(0);
  auto reqs = a.swim.tick(500 * kMillisecond);
  ASSERT_FALSE(reqs.empty());
  // A relay forwards the target's ack with the original sequence number.
  a.swim.receive(Message{MessageType::kAck, reqs[0].to, "a", ping.seq, "", {}}, 700 * kMillisecond);
  a.swim.tick(1 * kSecond);
  EXPECT_TRUE(a.changes.empty());
  EXPECT_EQ(a.status(ping.to), Status::kAlive);
}

TEST(Swim, DirectAckEndsTheProbeAndWrongSeqIsIgnored) {
  Node a("a", 4);
  auto ping = a.swim.tick(0).at(0);
  Message wrong = ack(ping);
  wrong.seq += 100;
  a.swim.receive(wrong, 10 * kMillisecond);
  EXPECT_EQ(a.swim.next_deadline(), 500 * kMillisecond) << "a stray ack does not end the probe";
  a.swim.receive(ack(ping), 20 * kMillisecond);
  EXPECT_EQ(a.swim.next_deadline(), 1 * kSecond);
  EXPECT_TRUE(a.swim.tick(500 * kMillisecond).empty()) << "no ping-req after an ack";
}

TEST(Swim, RelayPingsTargetAndForwardsAckOrNack) {
  Node b("b", 0);
  b.swim.add_member("a");
  b.swim.add_member("c");
  auto out = b.swim.receive(Message{MessageType::kPingReq, "a", "b", 7, "c", {}}, 0);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].type, MessageType::kPing);
  EXPECT_EQ(out[0].to, "c");
  auto fwd = b.swim.receive(ack(out[0]), 30 * kMillisecond);
  ASSERT_EQ(fwd.size(), 1u);
  EXPECT_EQ(fwd[0].type, MessageType::kAck);
  EXPECT_EQ(fwd[0].to, "a");
  EXPECT_EQ(fwd[0].seq, 7u);

  SwimConfig lifeguard = quiet();
  lifeguard.awareness_max_multiplier = 8;
  Node r("r", 0, lifeguard);
  r.swim.add_member("a");
  r.swim.add_member("c");
  for (const auto& m : r.swim.tick(0)) r.swim.receive(ack(m), 1 * kMillisecond);  // its own probe, acked
  auto relayed = r.swim.receive(Message{MessageType::kPingReq, "a", "r", 9, "c", {}}, 100 * kMillisecond);
  ASSERT_EQ(relayed.size(), 1u);
  EXPECT_EQ(r.swim.next_deadline(), 600 * kMillisecond) << "nack due probe_timeout after the request";
  EXPECT_TRUE(of_type(r.swim.tick(599 * kMillisecond), MessageType::kNack).empty());
  auto nack = of_type(r.swim.tick(600 * kMillisecond), MessageType::kNack);
  ASSERT_EQ(nack.size(), 1u);
  EXPECT_EQ(nack[0].to, "a");
  EXPECT_EQ(nack[0].seq, 9u);
}

TEST(Swim, PingIsAnsweredWithAckOfTheSameSeq) {
  Node b("b", 1);
  auto out = b.swim.receive(Message{MessageType::kPing, "x", "b", 42, "", {}}, 0);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0], (Message{MessageType::kAck, "b", "x", 42, "", {}}));
  EXPECT_TRUE(b.swim.receive(Message{MessageType::kPing, "x", "other", 43, "", {}}, 0).empty())
      << "a ping for another node is not acked";
}

// Probes go round-robin over a shuffled list, reshuffled at each wrap.
std::vector<std::string> probe_targets(std::uint64_t seed, int periods, int members,
                                       const std::string& kill = "", int kill_at = -1) {
  Node a("a", members, quiet(), seed);
  std::vector<std::string> targets;
  for (int p = 0; p < periods; ++p) {
    if (p == kill_at) a.hear({{GossipKind::kDead, kill, 0, "z"}}, p * kSecond);
    for (const auto& m : of_type(a.swim.tick(p * kSecond), MessageType::kPing)) {
      targets.push_back(m.to);
      a.swim.receive(ack(m), p * kSecond + 1 * kMillisecond);
    }
  }
  return targets;
}

TEST(Swim, RoundRobinOverAShuffledListReshuffledEachCycle) {
  const std::set<std::string> all = {"b", "c", "d", "e", "f"};
  auto targets = probe_targets(1, 20, 5);
  ASSERT_EQ(targets.size(), 20u);
  std::set<std::vector<std::string>> orders;
  for (int cycle = 0; cycle < 4; ++cycle) {
    std::vector<std::string> block(targets.begin() + cycle * 5, targets.begin() + cycle * 5 + 5);
    EXPECT_EQ(std::set<std::string>(block.begin(), block.end()), all) << "cycle " << cycle << " probes each once";
    orders.insert(block);
  }
  EXPECT_GT(orders.size(), 1u) << "the list is reshuffled";
  std::set<std::vector<std::string>> first_cycles;
  for (std::uint64_t seed = 1; seed <= 5; ++seed) {
    auto t = probe_targets(seed, 5, 5);
    first_cycles.insert(t);
  }
  EXPECT_GT(first_cycles.size(), 1u) << "the order depends on the seed";
  EXPECT_EQ(probe_targets(7, 12, 5), probe_targets(7, 12, 5)) << "deterministic";
}

TEST(Swim, DeadMembersAreNotProbed) {
  auto targets = probe_targets(3, 20, 5, "d", 2);
  EXPECT_EQ(std::count(targets.begin() + 2, targets.end(), "d"), 0);
  for (const char* n : {"b", "c", "e", "f"}) {
    EXPECT_GE(std::count(targets.begin(), targets.end(), n), 4) << n << " still probed every cycle";
  }
}

// ---- suspicion timeouts ---------------------------------------------------------

TEST(Swim, SuspicionStartsAtMaxAndConfirmationsShortenItToMin) {
  Node a("a", 9);  // n = 10: min = 4 * max(1, log10 10) * 1s = 4s, max = 24s, k = 2
  a.hear({{GossipKind::kSuspect, "b", 0, "c"}}, 0);
  EXPECT_EQ(a.status("b"), Status::kSuspect);
  EXPECT_EQ(a.swim.suspicion_deadline("b"), 24 * kSecond);
  a.hear({{GossipKind::kSuspect, "b", 0, "c"}}, 500 * kMillisecond);
  EXPECT_EQ(a.swim.suspicion_deadline("b"), 24 * kSecond) << "the first accuser does not confirm";
  a.hear({{GossipKind::kSuspect, "b", 0, "d"}}, 1 * kSecond);
  EXPECT_EQ(a.swim.suspicion_deadline("b"), remaining_suspicion(1, 2, 4 * kSecond, 24 * kSecond));
  EXPECT_NEAR(static_cast<double>(*a.swim.suspicion_deadline("b")), 11.381e9, 1e7);
  a.hear({{GossipKind::kSuspect, "b", 0, "d"}}, 1500 * kMillisecond);
  EXPECT_NEAR(static_cast<double>(*a.swim.suspicion_deadline("b")), 11.381e9, 1e7) << "duplicate";
  a.hear({{GossipKind::kSuspect, "b", 0, "e"}}, 2 * kSecond);
  EXPECT_EQ(a.swim.suspicion_deadline("b"), 4 * kSecond) << "k confirmations: min, from the start";

  a.swim.tick(3999 * kMillisecond);
  EXPECT_EQ(a.status("b"), Status::kSuspect);
  a.swim.tick(4 * kSecond);
  EXPECT_EQ(a.status("b"), Status::kDead);
  EXPECT_EQ(a.changes.back(), (StatusChange{4 * kSecond, "a", "b", Status::kDead, 0}));
  // The next message out (the ping-req of the probe started at 3.999s) carries it.
  auto out = a.swim.tick(a.swim.next_deadline());
  ASSERT_FALSE(out.empty());
  bool gossiped = false;
  for (const auto& m : out) gossiped |= carries(m, Gossip{GossipKind::kDead, "b", 0, "a"});
  EXPECT_TRUE(gossiped);
}

TEST(Swim, SuspicionTimeoutScalesWithLog10OfClusterSize) {
  Node a("a", 99);  // n = 100: min = 8s, max = 48s
  a.hear({{GossipKind::kSuspect, "b", 0, "c"}}, 1 * kSecond);
  EXPECT_EQ(a.swim.suspicion_deadline("b"), 1 * kSecond + 48 * kSecond);
  a.hear({{GossipKind::kSuspect, "b", 0, "d"}}, 2 * kSecond);
  a.hear({{GossipKind::kSuspect, "b", 0, "e"}}, 3 * kSecond);
  EXPECT_EQ(a.swim.suspicion_deadline("b"), 1 * kSecond + 8 * kSecond);
}

TEST(Swim, SmallClusterExpectsNoConfirmationAndUsesMin) {
  Node a("a", 2);  // n = 3: n - 2 < k, so k = 0 and the timeout is min = 4s
  a.hear({{GossipKind::kSuspect, "b", 0, "c"}}, 0);
  EXPECT_EQ(a.swim.suspicion_deadline("b"), 4 * kSecond);
}

// ---- incarnations and override rules -------------------------------------------

TEST(Swim, RefutationByHigherIncarnationWinsOverSuspicion) {
  Node a("a", 3);
  Node b("b", 0);
  b.swim.add_member("a");
  b.swim.add_member("c");
  b.swim.add_member("d");
  // a hears that b is suspect.
  a.hear({{GossipKind::kSuspect, "b", 0, "c"}}, 0);
  ASSERT_EQ(a.status("b"), Status::kSuspect);
  // b learns of it from a ping and refutes in its ack: only b raises its incarnation.
  auto reply = b.swim.receive(
      Message{MessageType::kPing, "a", "b", 5, "", {{GossipKind::kSuspect, "b", 0, "c"}}}, 100 * kMillisecond);
  EXPECT_EQ(b.swim.incarnation(), 1u);
  ASSERT_EQ(reply.size(), 1u);
  EXPECT_TRUE(carries(reply[0], Gossip{GossipKind::kAlive, "b", 1, "b"}));
  EXPECT_TRUE(b.changes.empty());
  a.swim.receive(reply[0], 200 * kMillisecond);
  EXPECT_EQ(a.status("b"), Status::kAlive);
  EXPECT_EQ(a.inc("b"), 1u);
  EXPECT_EQ(a.changes.back(), (StatusChange{200 * kMillisecond, "a", "b", Status::kAlive, 1}));
  EXPECT_FALSE(a.swim.suspicion_deadline("b").has_value()) << "the timer is cancelled";
  // Stale suspicions of the old incarnation change nothing now.
  a.hear({{GossipKind::kSuspect, "b", 0, "d"}}, 300 * kMillisecond);
  EXPECT_EQ(a.status("b"), Status::kAlive);
}

TEST(Swim, AliveAtTheSameIncarnationDoesNotRefute) {
  Node a("a", 3);
  a.hear({{GossipKind::kSuspect, "b", 0, "c"}}, 0);
  a.hear({{GossipKind::kAlive, "b", 0, "b"}}, 1 * kSecond);
  EXPECT_EQ(a.status("b"), Status::kSuspect);
}

TEST(Swim, NodeRefutesItsOwnDeathAboveTheAccusedIncarnation) {
  Node a("a", 3);
  a.hear({{GossipKind::kDead, "a", 4, "c"}}, 0);
  EXPECT_EQ(a.swim.incarnation(), 5u);
  a.hear({{GossipKind::kSuspect, "a", 2, "c"}}, 1);
  EXPECT_EQ(a.swim.incarnation(), 5u) << "a stale accusation needs no refutation";
  auto out = a.swim.tick(2);
  ASSERT_FALSE(out.empty());
  EXPECT_TRUE(carries(out[0], Gossip{GossipKind::kAlive, "a", 5, "a"}));
}

TEST(Swim, ProberNeverChangesTheSuspectsIncarnation) {
  Node a("a", 3);
  a.hear({{GossipKind::kAlive, "b", 3, "b"}}, 0);
  Nanos t = 0;
  // Probe until b is the target, and let it fail.
  for (int p = 0; p < 3 && a.status("b") == Status::kAlive; ++p) {
    t = p * kSecond;
    for (const auto& m : of_type(a.swim.tick(t), MessageType::kPing)) {
      if (m.to != "b") a.swim.receive(ack(m), t + 1 * kMillisecond);
    }
    a.swim.tick(t + 500 * kMillisecond);
  }
  a.swim.tick(t + 1 * kSecond);
  ASSERT_EQ(a.status("b"), Status::kSuspect);
  EXPECT_EQ(a.inc("b"), 3u);
  EXPECT_EQ(a.swim.incarnation(), 0u);
}

// Builds observer `a` whose view of m is `state` at incarnation 5, applies
// `kind` at `inc`, and returns the resulting (status, incarnation).
std::pair<Status, std::uint64_t> apply_rule(Status state, GossipKind kind, std::uint64_t inc) {
  Node a("a", 0);
  a.swim.add_member("m", 5);
  a.swim.add_member("x");
  a.swim.add_member("y");
  if (state == Status::kSuspect) a.hear({{GossipKind::kSuspect, "m", 5, "x"}}, 0);
  if (state == Status::kDead) a.hear({{GossipKind::kDead, "m", 5, "x"}}, 0);
  EXPECT_EQ(a.status("m"), state);
  a.hear({{kind, "m", inc, "y"}}, 1 * kSecond);
  return {a.status("m"), a.inc("m")};
}

struct Rule {
  Status state;
  GossipKind kind;
  std::uint64_t inc;
  Status expect;
  std::uint64_t expect_inc;
};

class SwimOverride : public ::testing::TestWithParam<Rule> {};

TEST_P(SwimOverride, FollowsMemberlist) {
  const Rule& r = GetParam();
  auto [status, inc] = apply_rule(r.state, r.kind, r.inc);
  EXPECT_EQ(status, r.expect) << to_string(r.state) << " @5 + " << to_string(r.kind) << " @" << r.inc;
  EXPECT_EQ(inc, r.expect_inc) << to_string(r.state) << " @5 + " << to_string(r.kind) << " @" << r.inc;
}

using S = Status;
using G = GossipKind;
INSTANTIATE_TEST_SUITE_P(
    Rules, SwimOverride,
    ::testing::Values(
        // alive@5
        Rule{S::kAlive, G::kAlive, 4, S::kAlive, 5}, Rule{S::kAlive, G::kAlive, 5, S::kAlive, 5},
        Rule{S::kAlive, G::kAlive, 6, S::kAlive, 6}, Rule{S::kAlive, G::kSuspect, 4, S::kAlive, 5},
        Rule{S::kAlive, G::kSuspect, 5, S::kSuspect, 5}, Rule{S::kAlive, G::kSuspect, 6, S::kSuspect, 6},
        Rule{S::kAlive, G::kDead, 4, S::kAlive, 5}, Rule{S::kAlive, G::kDead, 5, S::kDead, 5},
        Rule{S::kAlive, G::kDead, 6, S::kDead, 6},
        // suspect@5
        Rule{S::kSuspect, G::kAlive, 4, S::kSuspect, 5}, Rule{S::kSuspect, G::kAlive, 5, S::kSuspect, 5},
        Rule{S::kSuspect, G::kAlive, 6, S::kAlive, 6}, Rule{S::kSuspect, G::kSuspect, 4, S::kSuspect, 5},
        Rule{S::kSuspect, G::kSuspect, 5, S::kSuspect, 5}, Rule{S::kSuspect, G::kSuspect, 6, S::kSuspect, 6},
        Rule{S::kSuspect, G::kDead, 4, S::kSuspect, 5}, Rule{S::kSuspect, G::kDead, 5, S::kDead, 5},
        Rule{S::kSuspect, G::kDead, 6, S::kDead, 6},
        // dead@5
        Rule{S::kDead, G::kAlive, 4, S::kDead, 5}, Rule{S::kDead, G::kAlive, 5, S::kDead, 5},
        Rule{S::kDead, G::kAlive, 6, S::kAlive, 6}, Rule{S::kDead, G::kSuspect, 5, S::kDead, 5},
        Rule{S::kDead, G::kSuspect, 6, S::kDead, 5}, Rule{S::kDead, G::kDead, 6, S::kDead, 5}));

TEST(Swim, ARestartedNodeLearnsItWasDeadAndRejoins) {
  Node a("a", 3);
  a.hear({{GossipKind::kDead, "b", 3, "c"}}, 0);
  ASSERT_EQ(a.status("b"), Status::kDead);
  Node b("b", 0);  // restarted: incarnation 0, knows nothing
  b.swim.add_member("a");
  auto ping = b.swim.tick(1 * kSecond).at(0);
  ASSERT_EQ(ping.to, "a");
  auto reply = a.swim.receive(ping, 1 * kSecond + 1 * kMillisecond);
  ASSERT_EQ(reply.size(), 1u);
  EXPECT_TRUE(carries(reply[0], Gossip{GossipKind::kDead, "b", 3, "a"}));
  b.swim.receive(reply[0], 1 * kSecond + 2 * kMillisecond);
  EXPECT_EQ(b.swim.incarnation(), 4u);
  auto next = b.swim.tick(2 * kSecond).at(0);
  a.swim.receive(next, 2 * kSecond + 1 * kMillisecond);
  EXPECT_EQ(a.status("b"), Status::kAlive);
  EXPECT_EQ(a.inc("b"), 4u);
  EXPECT_EQ(a.changes.back(), (StatusChange{2 * kSecond + 1 * kMillisecond, "a", "b", Status::kAlive, 4}));
}

TEST(Swim, PingToASuspectCarriesItsSuspicion) {
  SwimConfig c = quiet();
  c.max_gossip_per_message = 1;
  Node a("a", 2, c);  // b, c
  a.hear({{GossipKind::kSuspect, "b", 2, "c"}, {GossipKind::kAlive, "c", 1, "c"}}, 0);
  std::vector<Message> pings;
  for (int p = 0; p < 2; ++p) {
    for (const auto& m : of_type(a.swim.tick(p * kSecond), MessageType::kPing)) {
      pings.push_back(m);
      a.swim.receive(ack(m), p * kSecond + 1 * kMillisecond);
    }
  }
  ASSERT_EQ(pings.size(), 2u);
  const Message& to_b = pings[0].to == "b" ? pings[0] : pings[1];
  ASSERT_EQ(to_b.to, "b");
  EXPECT_TRUE(carries(to_b, Gossip{GossipKind::kSuspect, "b", 2, "a"}));
}

TEST(Swim, UnknownNodeJoinsOnAliveButNotOnSuspectOrDead) {
  Node a("a", 1);
  a.hear({{GossipKind::kSuspect, "q", 0, "b"}, {GossipKind::kDead, "r", 0, "b"}}, 0);
  EXPECT_FALSE(a.swim.member("q").has_value());
  EXPECT_FALSE(a.swim.member("r").has_value());
  a.hear({{GossipKind::kAlive, "q", 2, "q"}}, 1 * kSecond);
  ASSERT_TRUE(a.swim.member("q").has_value());
  EXPECT_EQ(a.inc("q"), 2u);
  EXPECT_EQ(a.changes.back(), (StatusChange{1 * kSecond, "a", "q", Status::kAlive, 2}));
}

// ---- dissemination ----------------------------------------------------------------

int count_carrying(Node& a, const Gossip& g, int periods) {
  int n = 0;
  for (int p = 0; p < periods; ++p) {
    for (Nanos t = p * kSecond; t < (p + 1) * kSecond; t = a.swim.next_deadline()) {
      auto out = a.swim.tick(t);
      for (const auto& m : out) {
        n += carries(m, g);
        if (m.type == MessageType::kPing) a.swim.receive(ack(m), t + 1 * kMillisecond);
      }
    }
  }
  return n;
}

TEST(Swim, GossipIsRetransmittedABoundedNumberOfTimes) {
  Node a("a", 7);  // with the joiner: n = 9, limit = 4 * ceil(log10(10)) = 4
  a.hear({{GossipKind::kAlive, "q", 1, "q"}}, 0);
  EXPECT_EQ(a.swim.pending_gossip(), 1u);
  EXPECT_EQ(count_carrying(a, Gossip{GossipKind::kAlive, "q", 1, "q"}, 10), retransmit_limit(4, 9));
  EXPECT_EQ(retransmit_limit(4, 9), 4);
  EXPECT_EQ(a.swim.pending_gossip(), 0u);

  Node g("a", 7, SwimConfig::lan());  // with periodic gossip as well: same bound
  g.hear({{GossipKind::kAlive, "q", 1, "q"}}, 0);
  EXPECT_EQ(count_carrying(g, Gossip{GossipKind::kAlive, "q", 1, "q"}, 10), 4);
}

TEST(Swim, PeriodicGossipGoesToGossipNodesEveryInterval) {
  Node a("a", 7, SwimConfig::lan());
  a.swim.tick(0);
  EXPECT_EQ(a.swim.next_deadline(), 500 * kMillisecond) << "nothing to gossip: no gossip wake-ups";
  a.hear({{GossipKind::kAlive, "q", 1, "q"}}, 50 * kMillisecond);
  EXPECT_EQ(a.swim.next_deadline(), 200 * kMillisecond);
  auto out = of_type(a.swim.tick(200 * kMillisecond), MessageType::kGossip);
  EXPECT_EQ(out.size(), 3u);
  std::set<std::string> to;
  for (const auto& m : out) to.insert(m.to);
  EXPECT_EQ(to.size(), 3u);
}

TEST(Swim, NewerGossipAboutANodeReplacesTheOlder) {
  Node a("a", 3);
  a.hear({{GossipKind::kSuspect, "b", 0, "c"}}, 0);
  a.hear({{GossipKind::kAlive, "b", 1, "b"}}, 1);
  EXPECT_EQ(a.swim.pending_gossip(), 1u);
  auto out = a.swim.tick(2);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].gossip, (std::vector<Gossip>{{GossipKind::kAlive, "b", 1, "b"}}));
}

TEST(Swim, PiggybackIsCappedFewestTransmissionsFirst) {
  SwimConfig c = quiet();
  c.max_gossip_per_message = 2;
  Node a("a", 7, c);
  a.hear({{GossipKind::kAlive, "q", 1, "q"}}, 0);
  auto first = a.swim.tick(0);
  a.swim.receive(ack(first.at(0)), 1 * kMillisecond);
  a.hear({{GossipKind::kAlive, "r", 1, "r"}, {GossipKind::kAlive, "s", 1, "s"}}, 2 * kMillisecond);
  auto out = a.swim.tick(1 * kSecond);
  ASSERT_EQ(out.at(0).gossip.size(), 2u);
  EXPECT_FALSE(carries(out[0], Gossip{GossipKind::kAlive, "q", 1, "q"})) << "q was sent once already";
}

// ---- Lifeguard ------------------------------------------------------------------

TEST(Swim, LifeguardAwarenessScalesProbeTimes) {
  SwimConfig c = quiet();
  c.awareness_max_multiplier = 8;
  Node a("a", 4, c);
  auto ping = a.swim.tick(0).at(0);
  auto reqs = a.swim.tick(500 * kMillisecond);
  ASSERT_EQ(reqs.size(), 3u);
  a.swim.receive(Message{MessageType::kNack, reqs[0].to, "a", ping.seq, "", {}}, 800 * kMillisecond);
  auto out = a.swim.tick(1 * kSecond);  // failed: 3 nacks expected, 1 received
  EXPECT_EQ(a.swim.awareness(), 2);
  EXPECT_EQ(a.swim.next_deadline(), 1 * kSecond + 500 * kMillisecond) << "memberlist never scales the ack timeout";
  auto next = of_type(out, MessageType::kPing).at(0);
  a.swim.receive(ack(next), 1 * kSecond + 5 * kMillisecond);
  EXPECT_EQ(a.swim.awareness(), 1) << "a direct ack lowers the score";
  EXPECT_EQ(a.swim.next_deadline(), 2 * kSecond) << "an acked probe: the next tick at the base interval";
}

// memberlist's probeNode: a failed probe lasts ProbeInterval x (score + 1)
// (ScaleTimeout), the ack timeout stays ProbeTimeout, and the ticker's one
// missed tick fires when the probe ends.
TEST(Swim, LifeguardFailedProbesStretchTheProtocolPeriod) {
  SwimConfig c = quiet();
  c.awareness_max_multiplier = 8;
  Node a("a", 4, c);
  Nanos t = 0;
  std::vector<Nanos> starts;
  for (int round = 0; round < 4; ++round) {
    auto pings = of_type(a.swim.tick(t), MessageType::kPing);
    ASSERT_EQ(pings.size(), 1u) << "round " << round;
    starts.push_back(t);
    const int score = a.swim.awareness();
    EXPECT_EQ(a.swim.next_deadline(), t + 500 * kMillisecond);
    a.swim.tick(t + 500 * kMillisecond);  // ping-req to 3 relays, none answers (no nack either)
    const Nanos end = t + (score + 1) * kSecond;
    a.swim.tick(end - 1);
    EXPECT_EQ(a.swim.awareness(), score) << "the probe is still running";
    t = end;
    // Next round: the missed tick fires at the probe's end.
  }
  // Each failed probe adds the nacks it missed: its relays are the alive
  // members other than the target (3, then 2, then 1 as suspects pile up),
  // so the score goes 0, 3, 5, 6 and the periods 1s, 4s, 6s.
  EXPECT_EQ(starts, (std::vector<Nanos>{0, 1 * kSecond, 5 * kSecond, 11 * kSecond}));
  EXPECT_EQ(a.swim.awareness(), 6);
}

// The suspicion timeout memberlist computes (state.go suspectNode,
// suspicion.go), n = 5, 50, 500 with 0..k confirmations, k = SuspicionMult - 2
// = 2: min = 4 x max(1, log10 n) x 1s (node scale truncated to 1/1000), max =
// 6 x min, then max - log(c+1)/log(k+1) x (max - min) floored to the ms.
TEST(Swim, SuspicionTimeoutPinnedToMemberlistForN5N50N500) {
  struct Case {
    int n;
    std::vector<Nanos> by_confirmations;
  };
  for (const Case& k : {Case{5, {24'000 * kMillisecond, 11'381 * kMillisecond, 4'000 * kMillisecond}},
                        Case{50, {40'752 * kMillisecond, 19'325 * kMillisecond, 6'792 * kMillisecond}},
                        Case{500, {64'752 * kMillisecond, 30'707 * kMillisecond, 10'792 * kMillisecond}}}) {
    SwimConfig c = quiet();
    SwimNode a("a", c, 1, 0);
    std::vector<std::string> names;
    for (int i = 1; i < k.n; ++i) names.push_back("m" + std::to_string(i));
    for (const auto& m : names) a.add_member(m);
    a.receive(Message{MessageType::kGossip, "z", "a", 0, "", {{GossipKind::kSuspect, "m1", 0, "m2"}}}, 0);
    EXPECT_EQ(a.suspicion_deadline("m1"), k.by_confirmations[0]) << "n=" << k.n << " c=0";
    for (int conf = 1; conf <= 2; ++conf) {
      a.receive(Message{MessageType::kGossip, "z", "a", 0, "", {{GossipKind::kSuspect, "m1", 0, names[conf + 1]}}},
                conf * kMillisecond);
      EXPECT_EQ(a.suspicion_deadline("m1"), k.by_confirmations[static_cast<std::size_t>(conf)])
          << "n=" << k.n << " c=" << conf;
    }
    // A third confirmation is past k: nothing changes.
    a.receive(Message{MessageType::kGossip, "z", "a", 0, "", {{GossipKind::kSuspect, "m1", 0, "another"}}}, 3 * kMillisecond);
    EXPECT_EQ(a.suspicion_deadline("m1"), k.by_confirmations[2]) << "n=" << k.n;
  }
}

TEST(Swim, MemberlistConfirmationKeepsTheIncarnation) {
  // memberlist's suspectNode: with a suspicion timer running it only
  // Confirm()s; the believed incarnation stays (the paper's rule raises it).
  SwimConfig c = memberlist_lan();
  c.gossip_interval = 0;
  Node a("a", 0, c);
  a.swim.add_member("m", 5);
  a.swim.add_member("x");
  a.swim.add_member("y");
  a.hear({{GossipKind::kSuspect, "m", 5, "x"}}, 0);
  a.hear({{GossipKind::kSuspect, "m", 6, "y"}}, 1 * kSecond);
  EXPECT_EQ(a.status("m"), Status::kSuspect);
  EXPECT_EQ(a.inc("m"), 5u);
}

TEST(Swim, DeadAtTheEqualIncarnationIsAccepted) {
  // memberlist's deadNode ignores only d.Incarnation < state.Incarnation: a
  // death gossiped at the incarnation this node already holds is applied
  // (so a partition's deaths spread to nodes that never lost contact).
  for (Status state : {Status::kAlive, Status::kSuspect}) {
    auto [status, inc] = apply_rule(state, GossipKind::kDead, 5);
    EXPECT_EQ(status, Status::kDead);
    EXPECT_EQ(inc, 5u);
  }
}

TEST(Swim, RefutationBumpsPastTheAccusationAndWinsEverywhere) {
  Node m("m", 2);
  m.hear({{GossipKind::kSuspect, "m", 0, "b"}}, 0);
  EXPECT_EQ(m.swim.incarnation(), 1u) << "suspect@0 is refuted at 1";
  m.hear({{GossipKind::kDead, "m", 4, "b"}}, 1 * kSecond);
  EXPECT_EQ(m.swim.incarnation(), 5u) << "dead@4 is refuted at max(own + 1, 4 + 1)";
  m.hear({{GossipKind::kSuspect, "m", 2, "b"}}, 2 * kSecond);
  EXPECT_EQ(m.swim.incarnation(), 5u) << "an accusation below the own incarnation is ignored";
  // An observer holding m dead@4 revives it on alive@5.
  auto [status, inc] = [] {
    Node a("a", 0);
    a.swim.add_member("m", 4);
    a.swim.add_member("x");
    a.hear({{GossipKind::kDead, "m", 4, "x"}}, 0);
    a.hear({{GossipKind::kAlive, "m", 5, "m"}}, 1 * kSecond);
    return std::pair{a.status("m"), a.inc("m")};
  }();
  EXPECT_EQ(status, Status::kAlive);
  EXPECT_EQ(inc, 5u);
}

// memberlist's mergeState: in a push-pull, the remote's dead is only a
// suspicion (from this node); an accusation of this node is refuted; the
// answer carries this node's table from before the merge.
TEST(Swim, PushPullMergesDeadAsSuspectAndAnswersWithItsTable) {
  SwimConfig c = quiet();
  c.push_pull_interval = 30 * kSecond;
  Node a("a", 3, c);  // members b, c, d
  Message pp{MessageType::kPushPull, "b", "a", 0, "", {{GossipKind::kDead, "c", 0, "b"},
                                                        {GossipKind::kDead, "a", 2, "b"},
                                                        {GossipKind::kAlive, "d", 3, "b"}}};
  auto out = a.swim.receive(pp, 1 * kSecond);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].type, MessageType::kPushPullReply);
  EXPECT_EQ(out[0].to, "b");
  EXPECT_TRUE(carries(out[0], Gossip{GossipKind::kAlive, "c", 0, "a"})) << "the table before the merge";
  EXPECT_EQ(a.status("c"), Status::kSuspect);
  EXPECT_EQ(a.swim.incarnation(), 3u) << "dead a@2 refuted at 3";
  EXPECT_EQ(a.status("d"), Status::kAlive);
  EXPECT_EQ(a.inc("d"), 3u);
}

TEST(Swim, WithoutLifeguardAwarenessStaysZero) {
  Node a("a", 4);
  a.swim.tick(0);
  a.swim.tick(500 * kMillisecond);
  a.swim.tick(1 * kSecond);
  EXPECT_EQ(a.swim.awareness(), 0);
  EXPECT_EQ(a.swim.next_deadline(), 1500 * kMillisecond);
}

// ---- the suspect-bumps-incarnation bug (reproduction switch) ---------------------

Status refutation_outcome(bool bug) {
  SwimConfig c = quiet();
  c.bug_suspect_bumps_incarnation = bug;
  Node a("a", 3, c);
  auto ping = a.swim.tick(0).at(0);  // never acked
  a.swim.tick(500 * kMillisecond);
  a.swim.tick(1 * kSecond);
  EXPECT_EQ(a.status(ping.to), Status::kSuspect);
  EXPECT_EQ(a.inc(ping.to), bug ? 1u : 0u);
  // The target refutes an earlier suspicion at incarnation 0 with alive@1.
  a.hear({{GossipKind::kAlive, ping.to, 1, ping.to}}, 1100 * kMillisecond);
  return a.status(ping.to);
}

TEST(Swim, SuspectBumpsIncarnationBugLosesTheRefutation) {
  EXPECT_EQ(refutation_outcome(false), Status::kAlive);
  EXPECT_EQ(refutation_outcome(true), Status::kSuspect) << "with the bug the refutation is lost";
}

// The other half of the pair (swim_config.h): the node refutes as the paper
// says, only an accusation at its current incarnation, with +1.
TEST(Swim, SuspectBumpsIncarnationBugNodeNeverAnswersTheBumpedAccusation) {
  SwimConfig c = quiet();
  Node ok("a", 2, c);
  ok.hear({{GossipKind::kSuspect, "a", 1, "b"}}, 0);
  EXPECT_EQ(ok.swim.incarnation(), 2u) << "memberlist: max(own, accused) + 1";

  c.bug_suspect_bumps_incarnation = true;
  Node a("a", 2, c);
  a.hear({{GossipKind::kSuspect, "a", 1, "b"}}, 0);
  a.hear({{GossipKind::kDead, "a", 1, "b"}}, 1 * kSecond);
  a.hear({{GossipKind::kAlive, "a", 3, "b"}}, 2 * kSecond);
  EXPECT_EQ(a.swim.incarnation(), 0u) << "accusations above its incarnation are dropped as impossible";
  EXPECT_EQ(a.swim.stats().refutations, 0u);
  EXPECT_EQ(a.swim.pending_gossip(), 0u);

  a.hear({{GossipKind::kSuspect, "a", 0, "b"}}, 3 * kSecond);
  EXPECT_EQ(a.swim.incarnation(), 1u) << "an accusation at its incarnation is refuted at + 1 (the paper)";
  a.hear({{GossipKind::kSuspect, "a", 0, "c"}}, 4 * kSecond);
  EXPECT_EQ(a.swim.incarnation(), 1u) << "a stale accusation is dropped";
}

// The pair end to end: a cluster on a lossy network (no crash) where probes
// of live nodes sometimes fail. With the switch each such false suspicion is
// at incarnation + 1, the live suspect never answers it, and it stays dead at
// every peer; without the switch every suspicion is refuted, on every seed.
TEST(Swim, SuspectBumpsIncarnationBugKillsLiveNodesInSimulation) {
  for (std::uint64_t seed : {1u, 2u, 3u}) {
    SwimSimulationConfig sim;
    sim.nodes = 16;
    sim.seed = seed;
    sim.loss = 0.15;
    sim.duration = 60 * kSecond;
    auto correct = run_swim_simulation(sim);
    ASSERT_TRUE(correct.ok());
    EXPECT_GT(correct->failed_live_probes, 0u) << "seed " << seed << ": the loss makes live probes fail";
    EXPECT_EQ(correct->false_deaths, 0u) << "seed " << seed;
    EXPECT_EQ(correct->dead_pairs_at_end, 0u) << "seed " << seed;

    sim.swim.bug_suspect_bumps_incarnation = true;
    auto buggy = run_swim_simulation(sim);
    ASSERT_TRUE(buggy.ok());
    EXPECT_EQ(buggy->live_nodes, 16u) << "nobody crashed";
    EXPECT_GT(buggy->falsely_dead_nodes, 0u) << "seed " << seed << ": live nodes declared dead";
    EXPECT_GT(buggy->dead_pairs_at_end, 0u) << "seed " << seed << ": and never revived";
    EXPECT_EQ(buggy->refutations, 0u) << "seed " << seed << ": no accusation was ever answered";
  }
}

}  // namespace
}  // namespace faultline::reference
