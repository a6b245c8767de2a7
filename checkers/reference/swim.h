// SWIM failure detector with suspicion (Das, Gupta, Motivala 2002), with the
// semantics of HashiCorp memberlist; one node's state machine.
//
// Contract: a SwimNode never reads a clock, sleeps, or does I/O. The service
// (or a simulation, or a checker) feeds it received messages with
// receive(msg, now) and calls tick(now) no later than next_deadline(); both
// return the messages to send (Message::to is the destination). Randomness
// comes only from the seed given at construction, so equal inputs give equal
// outputs. Status changes go to the listener (docs/events.md `detector` events).
//
// Rules (memberlist's, which refine the paper's):
//  - Protocol period: every probe interval the node probes the next member
//    of its probe list: a shuffled list of non-dead members walked
//    round-robin and reshuffled at each wrap; dead members and itself are
//    skipped. The ping must be acked within probe_timeout (never scaled),
//    else ping-req goes to `indirect_checks` random alive members who ping
//    the target and relay its ack. Without any ack by the end of the period
//    (probe start + probe_interval x (Lifeguard score + 1)) the target is
//    suspected. A probe that runs past the next tick delays it to the
//    probe's end (memberlist's ticker keeps one missed tick).
//  - Suspicion: suspect{node, its known incarnation, from self} is applied
//    and gossiped. A suspect node turns dead when its suspicion timer fires:
//    min = suspicion_mult * max(1, log10(n)) * probe_interval, max =
//    suspicion_max_timeout_mult * min, n = members known (self included;
//    memberlist's estNumNodes: dead ones count until reaped after
//    gossip_to_the_dead_time),
//    k = suspicion_mult - 2 expected confirmations (0 when n - 2 < k). The
//    timer starts at max (at min when k = 0) and each suspect message from a
//    distinct new accuser (at most k) shortens it to
//    max(min, max - log(c+1)/log(k+1) * (max - min)) from its start.
//  - Incarnations: ONLY a node itself raises its incarnation, to refute a
//    suspect/dead message about itself at or above its incarnation:
//    inc = max(inc + 1, accused + 1), gossiped as alive{self, inc}.
//    (bug_suspect_bumps_incarnation breaks exactly this, for reproducing
//    that bug: the prober raises it, and the node refutes as the paper
//    does, only an accusation at inc, with inc + 1; see swim_config.h.)
//  - Override rules for gossip about another node M with known incarnation i:
//      alive{M, j}:   applied iff j > i (any state, so it revives dead);
//                     an unknown M joins as alive.
//      suspect{M, j}: ignored if j < i or M is dead or unknown; if M is already
//                     suspect, counts as a confirmation from `from` (new
//                     confirmations are re-gossiped; the believed
//                     incarnation stays, or with confirm_raises_incarnation
//                     j > i raises it); if alive, applied (j >= i).
//      dead{M, j}:    ignored if j < i or M is already dead; applied otherwise.
//    Applied gossip is re-gossiped.
//  - Dissemination: gossip is piggybacked on every outgoing message (up to
//    max_gossip_per_message entries, fewest transmissions first, newest first
//    among equals); a newer entry about a node replaces the older one; each
//    entry is sent at most retransmit_mult * ceil(log10(n + 1)) times. With
//    gossip_interval > 0, pending gossip also goes out every gossip_interval
//    (phase from `start`) to gossip_nodes random members not dead, or dead
//    for at most gossip_to_the_dead_time (memberlist's gossip()). A ping to a
//    suspect member always carries its suspicion (memberlist's buddy system).
//  - Rejoin: with ack_dead_pinger, a ping from a member this node holds
//    dead is acked with that dead{member, incarnation} gossip added, so a
//    restarted node (which starts at incarnation 0) learns it was declared
//    dead and refutes with a higher incarnation, which revives it
//    everywhere. memberlist gets the same effect from push-pull: join(now)
//    (a restarted node's Join) and every push_pull_interval a push-pull
//    exchanges whole tables; the receiver merges alive as alive gossip and
//    suspect or dead as a suspicion from itself (mergeState), and answers
//    with its own table (push-pull-reply), which the initiator merges.
//    With reconnect_interval (Serf), every interval, with probability
//    min(1, dead/alive), a push-pull goes to one random member held dead.
//  - Lifeguard (awareness_max_multiplier > 1): relays send nack when their
//    own ping of the target is not acked within probe_timeout; the score goes
//    -1 on a directly acked probe, + (expected nacks - nacks received) on a
//    failed probe (+1 when no nack was expected), +1 on each refutation,
//    clamped to [0, max - 1].
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "checkers/reference/detector_status.h"
#include "checkers/reference/swim_config.h"
#include "checkers/reference/swim_message.h"
#include "common/units.h"

namespace faultline::reference {

// Counters for reports and simulations.
struct SwimStats {
  std::uint64_t probes = 0;          // probes started (direct pings)
  std::uint64_t failed_probes = 0;   // probes that ended in a suspicion
  std::uint64_t indirect_probes = 0; // ping-req sent
  std::uint64_t refutations = 0;     // own incarnation raised
  std::uint64_t messages = 0;        // messages returned to send
  std::uint64_t gossip_messages = 0; // periodic gossip messages among them
};

struct MemberView {
  Status status = Status::kAlive;
  std::uint64_t incarnation = 0;
  Nanos since = 0;  // time of the last status change
};

class SwimNode {
 public:
  // The first probe happens at `start`.
  SwimNode(std::string self, SwimConfig config, std::uint64_t seed, Nanos start);

  void set_listener(ChangeListener listener) { listener_ = std::move(listener); }
  // Optional: told the outcome of each of this node's probes when it ends
  // (success on any ack, failure at the end of the period).
  using ProbeListener = std::function<void(const std::string& target, bool success, Nanos now)>;
  void set_probe_listener(ProbeListener listener) { probe_listener_ = std::move(listener); }

  // Adds a member known from the start (alive at `incarnation`), without
  // gossip or change events: the static membership of a test cluster.
  void add_member(const std::string& name, std::uint64_t incarnation = 0);

  std::vector<Message> tick(Nanos now);
  // memberlist's Join on start: a push-pull with every other member.
  std::vector<Message> join(Nanos now);
  std::vector<Message> receive(const Message& message, Nanos now);
  // The latest time tick() must next be called at.
  Nanos next_deadline() const;

  const std::string& self() const { return self_; }
  std::uint64_t incarnation() const { return incarnation_; }
  std::optional<MemberView> member(const std::string& name) const;
  std::size_t live_members() const;  // not dead, self included
  std::size_t known_members() const;  // memberlist's estNumNodes, at the last tick/receive
  int awareness() const { return awareness_; }
  const SwimStats& stats() const { return stats_; }
  std::size_t pending_gossip() const { return broadcasts_.size(); }
  const SwimConfig& config() const { return config_; }
  // The suspicion timer's current expiry for a suspect member.
  std::optional<Nanos> suspicion_deadline(const std::string& name) const;

 private:
  struct Member {
    Status status = Status::kAlive;
    std::uint64_t incarnation = 0;
    Nanos since = 0;
  };
  struct Probe {
    std::string target;
    std::uint64_t seq = 0;
    Nanos timeout_at = 0;
    Nanos deadline = 0;
    bool indirect_sent = false;
    int expected_nacks = 0;
    int nacks = 0;
  };
  struct Relay {
    std::string requester;
    std::uint64_t requester_seq = 0;
    Nanos nack_at = 0;
    Nanos expires = 0;
    bool nack_sent = false;
  };
  struct Suspicion {
    Nanos start = 0;
    Nanos min = 0;
    Nanos max = 0;
    int expected = 0;
    int confirmations = 0;
    std::set<std::string> accusers;
    Nanos timeout = 0;
    Nanos expiry() const { return start + timeout; }
  };
  struct Broadcast {
    Gossip gossip;
    int transmits = 0;
    std::uint64_t id = 0;
  };

  void send(std::vector<Message>& out, MessageType type, const std::string& to, std::uint64_t seq,
            const std::string& target = {}, const Gossip* extra = nullptr);
  void gossip(Gossip item);
  void apply(const Gossip& item, Nanos now);
  void apply_alive(const Gossip& item, Nanos now);
  void apply_suspect(const Gossip& item, Nanos now);
  void apply_dead(const Gossip& item, Nanos now);
  bool answers(std::uint64_t accused) const;  // refute an accusation about self at `accused`?
  void refute(std::uint64_t accused, Nanos now);
  void set_status(const std::string& name, Member& member, Status status, std::uint64_t incarnation, Nanos now);
  void start_probe(std::vector<Message>& out, Nanos now);
  void finish_probe(bool success, Nanos now);
  std::optional<std::string> next_target();
  std::vector<std::string> random_alive(int k, const std::string& exclude);
  void periodic_gossip(std::vector<Message>& out, Nanos now);
  void periodic_push_pull(std::vector<Message>& out, Nanos now);
  void send_state(std::vector<Message>& out, MessageType type, const std::string& to);
  void merge_state(const Message& message, Nanos now);
  std::uint64_t random_below(std::uint64_t n) { return n == 0 ? 0 : rng_() % n; }
  void adjust_awareness(int delta);
  Nanos scaled(Nanos d) const { return d * (awareness_ + 1); }

  std::string self_;
  SwimConfig config_;
  std::mt19937_64 rng_;
  ChangeListener listener_;
  ProbeListener probe_listener_;
  std::map<std::string, Member> members_;  // self included
  std::vector<std::string> probe_list_;
  std::size_t probe_index_ = 0;
  std::optional<Probe> probe_;
  Nanos next_probe_at_;
  Nanos next_gossip_at_;
  Nanos next_push_pull_at_;
  Nanos next_reconnect_at_;
  Nanos now_ = 0;  // of the current tick/receive/join
  std::map<std::uint64_t, Relay> relays_;
  std::map<std::string, Suspicion> suspicions_;
  std::vector<Broadcast> broadcasts_;
  std::uint64_t broadcast_id_ = 0;
  std::uint64_t seq_ = 0;
  std::uint64_t incarnation_ = 0;
  int awareness_ = 0;
  SwimStats stats_;
};

}  // namespace faultline::reference
