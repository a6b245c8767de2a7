// SWIM parameters and memberlist's timing formulas.
//
// Contract: SwimConfig holds the knobs of the reference SWIM (swim.h) with
// the meaning HashiCorp memberlist gives them; lan() is memberlist's
// DefaultLANConfig for those knobs (probe interval 1s, probe timeout 500ms,
// 3 indirect checks, suspicion mult 4, suspicion max-timeout mult 6,
// retransmit mult 4, gossip every 200ms to 3 nodes, gossip to the dead 30s). Lifeguard's local-health multiplier is off unless
// `awareness_max_multiplier` > 1 (memberlist itself defaults to 8).
// The formulas are memberlist's:
//   suspicion_timeout(mult, n, interval) = mult * max(1, log10(max(1, n))) * interval
//       (min; max = max_timeout_mult * min; the node scale is truncated to
//        1/1000 as memberlist does)
//   remaining_suspicion(confirmations c, expected k, min, max)
//       = max(min, max - log(c+1)/log(k+1) * (max - min))   (k >= 1),
//       floored to the millisecond as memberlist's suspicion.go does
//   retransmit_limit(mult, n) = mult * ceil(log10(n + 1))
// validate() names the first bad field.
#pragma once

#include <cstdint>

#include "common/result.h"
#include "common/units.h"

namespace faultline::reference {

struct SwimConfig {
  Nanos probe_interval = 1'000'000'000;
  Nanos probe_timeout = 500'000'000;
  int indirect_checks = 3;
  int suspicion_mult = 4;
  int suspicion_max_timeout_mult = 6;
  int retransmit_mult = 4;
  // Gossip entries piggybacked on one outgoing message (memberlist fills a
  // UDP packet of 1400 bytes, about 24 short entries; a count keeps the
  // reference simple).
  int max_gossip_per_message = 24;
  // memberlist's periodic gossip: every gossip_interval, while there is
  // gossip to send, a gossip message to gossip_nodes random members that are
  // not dead, or dead for at most gossip_to_the_dead_time. 0 turns it off
  // (dissemination then rides on probes and acks only, as in the paper).
  Nanos gossip_interval = 200'000'000;
  int gossip_nodes = 3;
  Nanos gossip_to_the_dead_time = 30'000'000'000;
  // Lifeguard local health awareness: probe interval and timeout scale by
  // (score + 1), score in [0, awareness_max_multiplier - 1]; nacks from
  // indirect probers. <= 1 turns it off.
  int awareness_max_multiplier = 0;
  // memberlist's push-pull: every push_pull_interval (first one after a
  // random stagger) a full state exchange with one random alive member; each
  // side merges the other's table (alive as alive, suspect AND dead as a
  // suspicion from itself: memberlist's mergeState). 0 turns it off.
  Nanos push_pull_interval = 0;
  // Serf's reconnect: every reconnect_interval, with probability
  // min(1, dead / alive), a push-pull with one random member held dead,
  // which re-merges a healed split. 0 turns it off (memberlist alone).
  Nanos reconnect_interval = 0;
  // A ping from a member held dead is acked with that dead{member} gossip,
  // so a restarted or resumed node learns it was declared dead and refutes
  // (the demo node's rejoin; memberlist gets this from push-pull instead).
  bool ack_dead_pinger = true;
  // A suspicion at a higher incarnation about a member already suspect
  // raises the believed incarnation (the paper; the demo node relies on it).
  // memberlist's suspectNode only Confirm()s: false.
  bool confirm_raises_incarnation = true;

  // BUG REPRODUCTION, default off ("suspect-bumps-incarnation"). Two halves
  // that together kill live nodes:
  //  - the prober suspects a node at its known incarnation + 1, which is
  //    wrong: only a node itself may raise its incarnation;
  //  - the node refutes as the SWIM paper says, trusting that invariant: an
  //    accusation (suspect or dead) at its current incarnation i is answered
  //    with alive{i + 1}; a lower one was refuted already and a higher one
  //    "cannot happen", so both are dropped (as is alive about itself).
  // The paper's rule is sound while its invariant holds (and the node keeps
  // its incarnation across restarts); the bumping prober breaks it. The node
  // never answers the bumped accusation at i + 1: every suspicion of it ends
  // in dead{i + 1}, which it drops too, so it stays dead everywhere while up
  // and reachable. With the switch off the node refutes as memberlist does
  // (any accusation >= i, at max(i, accused) + 1), immune to the bumped
  // prober. (A paper-rule node that answers
  // every accusation >= i with i + 1 is not enough to show the bug: its
  // first refutation ties with the bumped suspicion and is lost, but the
  // next copy of the accusation, which always arrives, since gossip is
  // retransmitted, pings to a suspect carry it and acks carry dead, is
  // answered at i + 2 and wins: a delay, not a death. Measured on the demo
  // pause suite: n2 alive again at incarnation 2 within 4ms of resuming.)
  bool bug_suspect_bumps_incarnation = false;

  static SwimConfig lan();
  bool lifeguard() const { return awareness_max_multiplier > 1; }
  Result<void> validate() const;
};

Nanos suspicion_timeout(int suspicion_mult, std::size_t n, Nanos probe_interval);
Nanos remaining_suspicion(int confirmations, int expected, Nanos min, Nanos max);
int retransmit_limit(int retransmit_mult, std::size_t n);

}  // namespace faultline::reference
