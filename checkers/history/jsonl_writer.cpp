#include "checkers/history/jsonl_writer.h"

#include <string_view>
#include <type_traits>

namespace faultline::history {
namespace {

using ojson = nlohmann::ordered_json;

struct BodyWriter {
  ojson& out;

  void operator()(const ClusterEvent& e) {
    out["type"] = "cluster";
    out["nodes"] = e.nodes;
  }
  void operator()(const ClientEvent& e) {
    out["type"] = to_string(e.type);
    out["process"] = e.process;
    out["f"] = e.f;
    out["value"] = ojson(e.value);
    if (e.key) out["key"] = ojson(*e.key);
    if (!e.node.empty()) out["node"] = e.node;
  }
  void operator()(const FaultEvent& e) {
    out["type"] = "fault";
    out["phase"] = e.phase == FaultEvent::Phase::kStart ? "start" : "end";
    out["id"] = e.id;
    if (!e.fault.is_null()) out["fault"] = ojson(e.fault);
    if (!e.targets.empty() || e.phase == FaultEvent::Phase::kStart) out["targets"] = e.targets;
    if (!e.grudge.empty()) {
      ojson grudge = ojson::object();
      for (const auto& [node, dropped] : e.grudge) grudge[node] = dropped;
      out["grudge"] = grudge;
    }
  }
  void operator()(const DetectorEvent& e) {
    out["type"] = "detector";
    out["node"] = e.node;
    out["subject"] = e.subject;
    out["status"] = to_string(e.status);
    out["incarnation"] = e.incarnation;
  }
  void operator()(const BreakerEvent& e) {
    out["type"] = "breaker";
    out["node"] = e.node;
    out["name"] = e.name;
    switch (e.event) {
      case BreakerEvent::Kind::kCall:
        out["event"] = "call";
        out["call"] = e.call;
        out["permitted"] = e.permitted;
        break;
      case BreakerEvent::Kind::kResult:
        out["event"] = "result";
        out["call"] = e.call;
        out["outcome"] = e.success ? "success" : "failure";
        break;
      case BreakerEvent::Kind::kTransition:
        out["event"] = "transition";
        out["from"] = to_string(e.from);
        out["to"] = to_string(e.to);
        break;
    }
  }
  void operator()(const RetryEvent& e) {
    out["type"] = "retry";
    out["node"] = e.node;
    out["op"] = e.op;
    out["attempt"] = e.attempt;
    out["delay"] = e.delay;
    if (!e.outcome.empty()) out["outcome"] = e.outcome;
  }
  void operator()(const LogEvent& e) {
    out["type"] = "log";
    out["message"] = e.message;
  }
  void operator()(const UnknownEvent& e) { out["type"] = e.type; }
};

// The fields BodyWriter writes besides "time" and "type", as conditioned there.
struct BodyFields {
  std::string_view key;

  bool operator()(const ClusterEvent&) const { return key == "nodes"; }
  bool operator()(const ClientEvent& e) const {
    return key == "process" || key == "f" || key == "value" || (key == "key" && e.key) ||
           (key == "node" && !e.node.empty());
  }
  bool operator()(const FaultEvent& e) const {
    return key == "phase" || key == "id" || (key == "fault" && !e.fault.is_null()) ||
           (key == "targets" && (!e.targets.empty() || e.phase == FaultEvent::Phase::kStart)) ||
           (key == "grudge" && !e.grudge.empty());
  }
  bool operator()(const DetectorEvent&) const {
    return key == "node" || key == "subject" || key == "status" || key == "incarnation";
  }
  bool operator()(const BreakerEvent& e) const {
    if (key == "node" || key == "name" || key == "event") return true;
    switch (e.event) {
      case BreakerEvent::Kind::kCall: return key == "call" || key == "permitted";
      case BreakerEvent::Kind::kResult: return key == "call" || key == "outcome";
      case BreakerEvent::Kind::kTransition: return key == "from" || key == "to";
    }
    return false;
  }
  bool operator()(const RetryEvent& e) const {
    return key == "node" || key == "op" || key == "attempt" || key == "delay" || (key == "outcome" && !e.outcome.empty());
  }
  bool operator()(const LogEvent&) const { return key == "message"; }
  bool operator()(const UnknownEvent&) const { return false; }
};

}  // namespace

bool writes_field(const EventBody& body, std::string_view key) {
  return key == "time" || key == "type" || std::visit(BodyFields{key}, body);
}

nlohmann::ordered_json to_json(const Event& event) {
  ojson out = ojson::object();
  out["time"] = event.time;
  std::visit(BodyWriter{out}, event.body);
  // Then the source fields the typed body does not carry.
  if (event.extra.is_object()) {
    for (auto it = event.extra.begin(); it != event.extra.end(); ++it)
      if (!out.contains(it.key())) out[it.key()] = ojson(it.value());
  }
  return out;
}

std::string to_jsonl_line(const Event& event) { return to_json(event).dump() + "\n"; }

std::string to_jsonl_line(const nlohmann::json& raw) {
  ojson out = ojson::object();
  if (raw.is_object()) {
    if (raw.contains("time")) out["time"] = ojson(raw["time"]);
    if (raw.contains("type")) out["type"] = ojson(raw["type"]);
    for (auto it = raw.begin(); it != raw.end(); ++it)
      if (!out.contains(it.key())) out[it.key()] = ojson(it.value());
    return out.dump() + "\n";
  }
  return raw.dump() + "\n";
}

void write_jsonl_history(std::ostream& out, const History& history) {
  for (const auto& event : history.events) out << to_jsonl_line(event);
}

}  // namespace faultline::history
