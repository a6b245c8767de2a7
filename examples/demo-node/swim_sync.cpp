#include "examples/demo-node/swim_sync.h"

namespace faultline::demo {

using reference::Gossip;
using reference::GossipKind;
using reference::Message;
using reference::MessageType;
using reference::Status;

std::vector<Message> sync_pings(const reference::SwimNode& node, const std::vector<std::string>& peers) {
  std::vector<Message> out;
  for (const auto& name : peers) {
    auto m = node.member(name);
    if (m && (m->status == Status::kSuspect || m->status == Status::kDead))
      out.push_back(Message{MessageType::kPing, node.self(), name, 0, {}, {}});
  }
  return out;
}

void answer_sync(const Message& received, const reference::SwimNode& node, std::vector<Message>& replies) {
  if (received.type != MessageType::kPing || received.seq != 0 || received.to != node.self()) return;
  for (auto& reply : replies)
    if (reply.type == MessageType::kAck && reply.to == received.from)
      reply.gossip.push_back(Gossip{GossipKind::kAlive, node.self(), node.incarnation(), {}});
}

}  // namespace faultline::demo
