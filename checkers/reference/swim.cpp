#include "checkers/reference/swim.h"

#include <algorithm>
#include <limits>
#include <utility>

namespace faultline::reference {

SwimNode::SwimNode(std::string self, SwimConfig config, std::uint64_t seed, Nanos start)
    : self_(std::move(self)),
      config_(config),
      rng_(seed),
      next_probe_at_(start),
      next_gossip_at_(start + config.gossip_interval),
      next_push_pull_at_(start),
      next_reconnect_at_(start + config.reconnect_interval),
      now_(start) {
  members_[self_] = Member{Status::kAlive, 0, start};
  // memberlist staggers the first push-pull randomly within one interval.
  if (config_.push_pull_interval > 0)
    next_push_pull_at_ = start + static_cast<Nanos>(rng_() % static_cast<std::uint64_t>(config_.push_pull_interval));
}

void SwimNode::add_member(const std::string& name, std::uint64_t incarnation) {
  if (name == self_) return;
  auto [it, inserted] = members_.try_emplace(name, Member{Status::kAlive, incarnation, next_probe_at_});
  if (!inserted) return;
  if (!probe_list_.empty()) {
    // memberlist: a new member swaps into a random position of the list.
    probe_list_.push_back(name);
    std::size_t offset = random_below(probe_list_.size());
    std::swap(probe_list_[offset], probe_list_.back());
  }
}

std::optional<MemberView> SwimNode::member(const std::string& name) const {
  auto it = members_.find(name);
  if (it == members_.end()) return std::nullopt;
  return MemberView{it->second.status, it->second.incarnation, it->second.since};
}

std::size_t SwimNode::live_members() const {
  std::size_t n = 0;
  for (const auto& [name, m] : members_) n += m.status != Status::kDead;
  return n;
}

std::size_t SwimNode::known_members() const {
  std::size_t n = 0;
  for (const auto& [name, m] : members_)
    n += m.status != Status::kDead || now_ - m.since <= config_.gossip_to_the_dead_time;
  return n;
}

std::optional<Nanos> SwimNode::suspicion_deadline(const std::string& name) const {
  auto it = suspicions_.find(name);
  if (it == suspicions_.end()) return std::nullopt;
  return it->second.expiry();
}

Nanos SwimNode::next_deadline() const {
  Nanos next = next_probe_at_;
  if (probe_) {
    if (!probe_->indirect_sent) next = std::min(next, probe_->timeout_at);
    next = std::min(next, probe_->deadline);
  }
  for (const auto& [seq, relay] : relays_) {
    if (config_.lifeguard() && !relay.nack_sent) next = std::min(next, relay.nack_at);
    next = std::min(next, relay.expires);
  }
  for (const auto& [name, s] : suspicions_) next = std::min(next, s.expiry());
  if (config_.gossip_interval > 0 && !broadcasts_.empty()) next = std::min(next, next_gossip_at_);
  if (config_.push_pull_interval > 0) next = std::min(next, next_push_pull_at_);
  if (config_.reconnect_interval > 0) next = std::min(next, next_reconnect_at_);
  return next;
}

// ---- sending and dissemination -------------------------------------------

void SwimNode::send(std::vector<Message>& out, MessageType type, const std::string& to, std::uint64_t seq,
                    const std::string& target, const Gossip* extra) {
  Message m;
  m.type = type;
  m.from = self_;
  m.to = to;
  m.seq = seq;
  m.target = target;
  if (extra) m.gossip.push_back(*extra);
  if (!broadcasts_.empty()) {
    // Fewest transmissions first, newest first among equals.
    std::sort(broadcasts_.begin(), broadcasts_.end(), [](const Broadcast& a, const Broadcast& b) {
      return a.transmits != b.transmits ? a.transmits < b.transmits : a.id > b.id;
    });
    int limit = retransmit_limit(config_.retransmit_mult, known_members());
    std::size_t take = std::min<std::size_t>(broadcasts_.size(), config_.max_gossip_per_message);
    for (std::size_t i = 0; i < take; ++i) {
      m.gossip.push_back(broadcasts_[i].gossip);
      ++broadcasts_[i].transmits;
    }
    std::erase_if(broadcasts_, [limit](const Broadcast& b) { return b.transmits >= limit; });
  }
  ++stats_.messages;
  out.push_back(std::move(m));
}

void SwimNode::gossip(Gossip item) {
  std::erase_if(broadcasts_, [&](const Broadcast& b) { return b.gossip.node == item.node; });
  broadcasts_.push_back(Broadcast{std::move(item), 0, ++broadcast_id_});
}

// ---- state changes ---------------------------------------------------------

void SwimNode::set_status(const std::string& name, Member& member, Status status, std::uint64_t incarnation,
                          Nanos now) {
  bool changed = member.status != status;
  member.incarnation = incarnation;
  if (status != Status::kSuspect) suspicions_.erase(name);
  if (!changed) return;
  member.status = status;
  member.since = now;
  if (listener_) listener_(StatusChange{now, self_, name, status, incarnation});
}

bool SwimNode::answers(std::uint64_t accused) const {
  // memberlist refutes every accusation at or above its incarnation. The
  // paper-literal node of the bug pair (swim_config.h) answers only an
  // accusation at its current incarnation: a lower one was refuted already,
  // a higher one "cannot happen", since only the node raises it.
  return config_.bug_suspect_bumps_incarnation ? accused == incarnation_ : accused >= incarnation_;
}

void SwimNode::refute(std::uint64_t accused, Nanos now) {
  // memberlist: max(own + 1, accused + 1); the paper: own + 1.
  incarnation_ = config_.bug_suspect_bumps_incarnation ? incarnation_ + 1 : std::max(incarnation_ + 1, accused + 1);
  members_[self_].incarnation = incarnation_;
  members_[self_].since = now;
  ++stats_.refutations;
  gossip(Gossip{GossipKind::kAlive, self_, incarnation_, self_});
  adjust_awareness(1);
}

void SwimNode::apply(const Gossip& item, Nanos now) {
  switch (item.kind) {
    case GossipKind::kAlive: apply_alive(item, now); break;
    case GossipKind::kSuspect: apply_suspect(item, now); break;
    case GossipKind::kDead: apply_dead(item, now); break;
  }
}

void SwimNode::apply_alive(const Gossip& item, Nanos now) {
  if (item.node == self_) {
    // Only this node raises its incarnation, so a higher one is gossip from
    // before a restart (memberlist refutes it); the paper-literal node of
    // the bug pair has no such case.
    if (item.incarnation > incarnation_ && !config_.bug_suspect_bumps_incarnation) refute(item.incarnation, now);
    return;
  }
  auto it = members_.find(item.node);
  if (it == members_.end()) {
    add_member(item.node, item.incarnation);
    members_[item.node].since = now;
    if (listener_) listener_(StatusChange{now, self_, item.node, Status::kAlive, item.incarnation});
    gossip(item);
    return;
  }
  if (item.incarnation <= it->second.incarnation) return;
  set_status(item.node, it->second, Status::kAlive, item.incarnation, now);
  gossip(item);
}

void SwimNode::apply_suspect(const Gossip& item, Nanos now) {
  auto it = members_.find(item.node);
  if (it == members_.end()) return;
  Member& member = it->second;
  if (item.node == self_) {
    if (answers(item.incarnation)) refute(item.incarnation, now);
    return;
  }
  if (item.incarnation < member.incarnation) return;
  if (auto s = suspicions_.find(item.node); s != suspicions_.end()) {
    // Already suspect: a confirmation (memberlist's Confirm: the believed
    // incarnation stays); with confirm_raises_incarnation a higher one
    // replaces it (the paper). The timer keeps running.
    if (config_.confirm_raises_incarnation && item.incarnation > member.incarnation) {
      member.incarnation = item.incarnation;
      gossip(item);
    }
    Suspicion& susp = s->second;
    if (susp.confirmations < susp.expected && susp.accusers.insert(item.from).second) {
      ++susp.confirmations;
      susp.timeout = remaining_suspicion(susp.confirmations, susp.expected, susp.min, susp.max);
      gossip(item);
    }
    return;
  }
  if (member.status != Status::kAlive) return;
  gossip(item);
  set_status(item.node, member, Status::kSuspect, item.incarnation, now);
  std::size_t n = known_members();
  int k = config_.suspicion_mult - 2;
  if (static_cast<int>(n) - 2 < k) k = 0;
  Suspicion susp;
  susp.start = now;
  susp.min = suspicion_timeout(config_.suspicion_mult, n, config_.probe_interval);
  susp.max = static_cast<Nanos>(config_.suspicion_max_timeout_mult) * susp.min;
  susp.expected = std::max(k, 0);
  susp.accusers.insert(item.from);
  susp.timeout = susp.expected < 1 ? susp.min : susp.max;
  suspicions_[item.node] = std::move(susp);
}

void SwimNode::apply_dead(const Gossip& item, Nanos now) {
  auto it = members_.find(item.node);
  if (it == members_.end()) return;
  if (item.node == self_) {
    if (answers(item.incarnation)) refute(item.incarnation, now);
    return;
  }
  Member& member = it->second;
  if (item.incarnation < member.incarnation || member.status == Status::kDead) return;
  gossip(item);
  set_status(item.node, member, Status::kDead, item.incarnation, now);
}

void SwimNode::adjust_awareness(int delta) {
  if (!config_.lifeguard()) return;
  awareness_ = std::clamp(awareness_ + delta, 0, config_.awareness_max_multiplier - 1);
}

// ---- probing ---------------------------------------------------------------

std::optional<std::string> SwimNode::next_target() {
  for (std::size_t tries = 0; tries <= members_.size(); ++tries) {
    if (probe_index_ >= probe_list_.size()) {
      probe_list_.clear();
      for (const auto& [name, m] : members_) {
        if (name != self_ && m.status != Status::kDead) probe_list_.push_back(name);
      }
      for (std::size_t i = probe_list_.size(); i > 1; --i) {
        std::swap(probe_list_[i - 1], probe_list_[random_below(i)]);
      }
      probe_index_ = 0;
      if (probe_list_.empty()) return std::nullopt;
    }
    const std::string& name = probe_list_[probe_index_++];
    auto it = members_.find(name);
    if (name == self_ || it == members_.end() || it->second.status == Status::kDead) continue;
    return name;
  }
  return std::nullopt;
}

std::vector<std::string> SwimNode::random_alive(int k, const std::string& exclude) {
  std::vector<std::string> candidates;
  for (const auto& [name, m] : members_) {
    if (name != self_ && name != exclude && m.status == Status::kAlive) candidates.push_back(name);
  }
  std::size_t take = std::min<std::size_t>(candidates.size(), static_cast<std::size_t>(std::max(k, 0)));
  for (std::size_t i = 0; i < take; ++i) {
    std::swap(candidates[i], candidates[i + random_below(candidates.size() - i)]);
  }
  candidates.resize(take);
  return candidates;
}

void SwimNode::periodic_gossip(std::vector<Message>& out, Nanos now) {
  if (config_.gossip_interval <= 0 || now < next_gossip_at_) return;
  // Keep the phase: the next gossip round is the first one after `now`.
  next_gossip_at_ += ((now - next_gossip_at_) / config_.gossip_interval + 1) * config_.gossip_interval;
  if (broadcasts_.empty()) return;
  std::vector<std::string> candidates;
  for (const auto& [name, m] : members_) {
    if (name == self_) continue;
    if (m.status == Status::kDead && now - m.since > config_.gossip_to_the_dead_time) continue;
    candidates.push_back(name);
  }
  std::size_t take = std::min<std::size_t>(candidates.size(), static_cast<std::size_t>(config_.gossip_nodes));
  for (std::size_t i = 0; i < take && !broadcasts_.empty(); ++i) {
    std::swap(candidates[i], candidates[i + random_below(candidates.size() - i)]);
    ++stats_.gossip_messages;
    send(out, MessageType::kGossip, candidates[i], 0);
  }
}

void SwimNode::start_probe(std::vector<Message>& out, Nanos now) {
  next_probe_at_ = now + config_.probe_interval;
  auto target = next_target();
  if (!target) return;
  Probe p;
  p.target = *target;
  p.seq = ++seq_;
  // memberlist: the ack timeout is never scaled; the probe's whole period
  // (its deadline for indirect acks) is scaled by the health score.
  p.timeout_at = now + config_.probe_timeout;
  p.deadline = now + scaled(config_.probe_interval);
  probe_ = p;
  ++stats_.probes;
  const Member& member = members_[p.target];
  if (member.status == Status::kSuspect) {
    // memberlist (Lifeguard's buddy system): tell a suspect it is suspected.
    Gossip suspect{GossipKind::kSuspect, p.target, member.incarnation, self_};
    send(out, MessageType::kPing, p.target, p.seq, {}, &suspect);
  } else {
    send(out, MessageType::kPing, p.target, p.seq);
  }
}

void SwimNode::finish_probe(bool success, Nanos now) {
  Probe p = *probe_;
  probe_.reset();
  if (probe_listener_) probe_listener_(p.target, success, now);
  if (success) return;
  ++stats_.failed_probes;
  if (p.expected_nacks > 0) {
    adjust_awareness(std::max(0, p.expected_nacks - p.nacks));
  } else {
    adjust_awareness(1);
  }
  auto it = members_.find(p.target);
  if (it == members_.end() || it->second.status == Status::kDead) return;
  std::uint64_t inc = it->second.incarnation;
  if (config_.bug_suspect_bumps_incarnation && it->second.status == Status::kAlive) ++inc;  // the bug
  apply_suspect(Gossip{GossipKind::kSuspect, p.target, inc, self_}, now);
}

std::vector<Message> SwimNode::tick(Nanos now) {
  now_ = now;
  std::vector<Message> out;
  // Suspicion timers.
  std::vector<std::string> expired;
  for (const auto& [name, s] : suspicions_) {
    if (now >= s.expiry()) expired.push_back(name);
  }
  for (const auto& name : expired) {
    Member& m = members_[name];
    apply_dead(Gossip{GossipKind::kDead, name, m.incarnation, self_}, now);
  }
  // Relayed probes (ping-req): nack, then forget.
  for (auto it = relays_.begin(); it != relays_.end();) {
    Relay& r = it->second;
    if (config_.lifeguard() && !r.nack_sent && now >= r.nack_at) {
      r.nack_sent = true;
      send(out, MessageType::kNack, r.requester, r.requester_seq);
    }
    if (now >= r.expires) {
      it = relays_.erase(it);
    } else {
      ++it;
    }
  }
  // The current probe: indirect after the ack timeout, verdict at period end.
  if (probe_ && !probe_->indirect_sent && now >= probe_->timeout_at) {
    probe_->indirect_sent = true;
    auto peers = random_alive(config_.indirect_checks, probe_->target);
    if (config_.lifeguard()) probe_->expected_nacks = static_cast<int>(peers.size());
    stats_.indirect_probes += peers.size();
    for (const auto& peer : peers) send(out, MessageType::kPingReq, peer, probe_->seq, probe_->target);
  }
  if (probe_ && now >= probe_->deadline) finish_probe(false, now);
  if (now >= next_probe_at_) {
    if (probe_) next_probe_at_ = probe_->deadline;  // one missed tick fires when the probe ends
    else start_probe(out, now);
  }
  periodic_gossip(out, now);
  periodic_push_pull(out, now);
  return out;
}

std::vector<Message> SwimNode::join(Nanos now) {
  now_ = now;
  std::vector<Message> out;
  for (const auto& [name, m] : members_)
    if (name != self_) send_state(out, MessageType::kPushPull, name);
  return out;
}

void SwimNode::send_state(std::vector<Message>& out, MessageType type, const std::string& to) {
  Message m;
  m.type = type;
  m.from = self_;
  m.to = to;
  for (const auto& [name, member] : members_) {
    GossipKind kind = member.status == Status::kAlive ? GossipKind::kAlive
                      : member.status == Status::kSuspect ? GossipKind::kSuspect
                                                          : GossipKind::kDead;
    m.gossip.push_back(Gossip{kind, name, name == self_ ? incarnation_ : member.incarnation, self_});
  }
  ++stats_.messages;
  out.push_back(std::move(m));
}

void SwimNode::merge_state(const Message& message, Nanos now) {
  // memberlist's mergeState: a remote dead is only a suspicion, from us.
  for (const auto& item : message.gossip) {
    if (item.kind == GossipKind::kAlive) {
      apply_alive(item, now);
    } else {
      apply_suspect(Gossip{GossipKind::kSuspect, item.node, item.incarnation, self_}, now);
    }
  }
}

void SwimNode::periodic_push_pull(std::vector<Message>& out, Nanos now) {
  if (config_.push_pull_interval > 0 && now >= next_push_pull_at_) {
    next_push_pull_at_ = now + config_.push_pull_interval;
    auto peers = random_alive(1, self_);
    if (!peers.empty()) send_state(out, MessageType::kPushPull, peers[0]);
  }
  if (config_.reconnect_interval > 0 && now >= next_reconnect_at_) {
    next_reconnect_at_ = now + config_.reconnect_interval;
    std::vector<std::string> dead;
    for (const auto& [name, m] : members_)
      if (m.status == Status::kDead) dead.push_back(name);
    const std::size_t alive = members_.size() - dead.size();
    if (dead.empty() || alive == 0) return;
    // Serf's reconnect: skip with probability 1 - dead/alive.
    const double prob = static_cast<double>(dead.size()) / static_cast<double>(alive);
    const double draw = static_cast<double>(rng_() >> 11) / static_cast<double>(1ULL << 53);
    if (draw > prob) return;
    send_state(out, MessageType::kPushPull, dead[random_below(dead.size())]);
  }
}

std::vector<Message> SwimNode::receive(const Message& message, Nanos now) {
  now_ = now;
  std::vector<Message> out;
  if (message.type == MessageType::kPushPull || message.type == MessageType::kPushPullReply) {
    // The answer carries this node's table as it was before the merge.
    if (message.type == MessageType::kPushPull) send_state(out, MessageType::kPushPullReply, message.from);
    merge_state(message, now);
    return out;
  }
  // Gossip first, so that a refutation rides on this message's answer.
  for (const auto& item : message.gossip) apply(item, now);
  switch (message.type) {
    case MessageType::kPing:
      if (message.to == self_) {
        auto sender = members_.find(message.from);
        if (config_.ack_dead_pinger && sender != members_.end() && sender->second.status == Status::kDead) {
          Gossip dead{GossipKind::kDead, message.from, sender->second.incarnation, self_};
          send(out, MessageType::kAck, message.from, message.seq, {}, &dead);
        } else {
          send(out, MessageType::kAck, message.from, message.seq);
        }
      }
      break;
    case MessageType::kPingReq: {
      std::uint64_t seq = ++seq_;
      relays_[seq] = Relay{message.from, message.seq, now + config_.probe_timeout, now + config_.probe_interval, false};
      send(out, MessageType::kPing, message.target, seq);
      break;
    }
    case MessageType::kAck:
      if (probe_ && message.seq == probe_->seq) {
        bool direct = !probe_->indirect_sent;
        finish_probe(true, now);
        if (direct) adjust_awareness(-1);
      } else if (auto it = relays_.find(message.seq); it != relays_.end()) {
        send(out, MessageType::kAck, it->second.requester, it->second.requester_seq);
        relays_.erase(it);
      }
      break;
    case MessageType::kNack:
      if (probe_ && message.seq == probe_->seq) ++probe_->nacks;
      break;
    case MessageType::kGossip:
    case MessageType::kPushPull:
    case MessageType::kPushPullReply:
      break;
  }
  return out;
}

}  // namespace faultline::reference
