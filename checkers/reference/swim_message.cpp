#include "checkers/reference/swim_message.h"

#include <nlohmann/json.hpp>

namespace faultline::reference {

namespace {

using nlohmann::json;

const char* gossip_code(GossipKind kind) {
  switch (kind) {
    case GossipKind::kAlive: return "a";
    case GossipKind::kSuspect: return "s";
    case GossipKind::kDead: return "d";
  }
  return "a";
}

Error bad(const std::string& what) { return invalid_input("swim message: " + what); }

}  // namespace

const char* to_string(MessageType type) {
  switch (type) {
    case MessageType::kPing: return "ping";
    case MessageType::kPingReq: return "ping-req";
    case MessageType::kAck: return "ack";
    case MessageType::kNack: return "nack";
    case MessageType::kGossip: return "gossip";
    case MessageType::kPushPull: return "push-pull";
    case MessageType::kPushPullReply: return "push-pull-reply";
  }
  return "ping";
}

const char* to_string(GossipKind kind) {
  switch (kind) {
    case GossipKind::kAlive: return "alive";
    case GossipKind::kSuspect: return "suspect";
    case GossipKind::kDead: return "dead";
  }
  return "alive";
}

std::string encode(const Message& message) {
  json j = {{"t", to_string(message.type)}, {"f", message.from}, {"d", message.to}, {"s", message.seq}};
  if (message.type == MessageType::kPingReq) j["x"] = message.target;
  if (!message.gossip.empty()) {
    json g = json::array();
    for (const auto& item : message.gossip) {
      g.push_back(json::array({gossip_code(item.kind), item.node, item.incarnation, item.from}));
    }
    j["g"] = std::move(g);
  }
  return j.dump();
}

Result<Message> decode(std::string_view datagram) {
  json j = json::parse(datagram.begin(), datagram.end(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return bad("not valid JSON");
  if (!j.is_object()) return bad("not a JSON object");
  Message m;
  auto type = j.find("t");
  if (type == j.end() || !type->is_string()) return bad("field 't' (type) missing or not a string");
  const std::string& t = type->get_ref<const std::string&>();
  if (t == "ping") m.type = MessageType::kPing;
  else if (t == "ping-req") m.type = MessageType::kPingReq;
  else if (t == "ack") m.type = MessageType::kAck;
  else if (t == "nack") m.type = MessageType::kNack;
  else if (t == "gossip") m.type = MessageType::kGossip;
  else if (t == "push-pull") m.type = MessageType::kPushPull;
  else if (t == "push-pull-reply") m.type = MessageType::kPushPullReply;
  else return bad("field 't': unknown type '" + t + "'");
  auto str = [&](const char* key, std::string& out) -> Result<void> {
    auto it = j.find(key);
    if (it == j.end() || !it->is_string()) return bad(std::string("field '") + key + "' missing or not a string");
    out = it->get<std::string>();
    return ok_result();
  };
  if (auto r = str("f", m.from); !r) return r.error();
  if (auto r = str("d", m.to); !r) return r.error();
  auto seq = j.find("s");
  if (seq == j.end() || !seq->is_number_unsigned()) return bad("field 's' (seq) missing or not an unsigned integer");
  m.seq = seq->get<std::uint64_t>();
  if (m.type == MessageType::kPingReq) {
    if (auto r = str("x", m.target); !r) return r.error();
  }
  if (auto g = j.find("g"); g != j.end()) {
    if (!g->is_array()) return bad("field 'g' (gossip) is not an array");
    for (std::size_t i = 0; i < g->size(); ++i) {
      const json& e = (*g)[i];
      std::string where = "gossip entry " + std::to_string(i);
      if (!e.is_array() || e.size() != 4 || !e[0].is_string() || !e[1].is_string() ||
          !e[2].is_number_unsigned() || !e[3].is_string()) {
        return bad(where + " is not [kind, node, incarnation, from]");
      }
      Gossip item;
      const std::string& k = e[0].get_ref<const std::string&>();
      if (k == "a") item.kind = GossipKind::kAlive;
      else if (k == "s") item.kind = GossipKind::kSuspect;
      else if (k == "d") item.kind = GossipKind::kDead;
      else return bad(where + ": unknown kind '" + k + "'");
      item.node = e[1].get<std::string>();
      item.incarnation = e[2].get<std::uint64_t>();
      item.from = e[3].get<std::string>();
      m.gossip.push_back(std::move(item));
    }
  }
  return m;
}

}  // namespace faultline::reference
