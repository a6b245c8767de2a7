// SWIM wire messages: plain structs and a compact JSON encoding for datagrams.
//
// Contract: a Message is one datagram from `from` to `to`. Types:
//   ping     {seq}          probe `to`; answered by ack{seq}
//   ping-req {seq, target}  ask `to` to probe `target` and relay its ack
//                           (ack{seq}) or, with Lifeguard, a nack{seq}
//   ack      {seq}          answer to a ping or relayed answer to a ping-req
//   nack     {seq}          Lifeguard: the relay's own probe of target timed out
//   gossip   {}             carries piggybacked gossip only (seq 0)
//   push-pull {}            memberlist's state sync (TCP): `gossip` holds the
//                           sender's whole table (alive/suspect/dead per node
//                           at its incarnation, `from` the sender); answered
//                           by push-pull-reply carrying the answerer's table
// Every message may carry piggybacked gossip: alive / suspect / dead about
// `node` at `incarnation`, `from` naming the accuser for suspect/dead.
// encode() gives e.g.
//   {"t":"ping","f":"n1","d":"n2","s":7,"g":[["s","n9",3,"n1"]]}
// ("x" holds a ping-req's target). decode() accepts exactly that shape and
// returns an kInvalidInput Error naming the bad field otherwise; it never
// throws.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace faultline::reference {

enum class MessageType { kPing, kPingReq, kAck, kNack, kGossip, kPushPull, kPushPullReply };
enum class GossipKind { kAlive, kSuspect, kDead };

const char* to_string(MessageType type);
const char* to_string(GossipKind kind);

struct Gossip {
  GossipKind kind = GossipKind::kAlive;
  std::string node;
  std::uint64_t incarnation = 0;
  std::string from;  // accuser (suspect, dead); empty for alive
  bool operator==(const Gossip&) const = default;
};

struct Message {
  MessageType type = MessageType::kPing;
  std::string from;
  std::string to;
  std::uint64_t seq = 0;
  std::string target;  // ping-req only
  std::vector<Gossip> gossip;
  bool operator==(const Message&) const = default;
};

std::string encode(const Message& message);
Result<Message> decode(std::string_view datagram);

}  // namespace faultline::reference
