#include "checkers/history/jsonl_writer.h"

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
    out["value"] = ojson::parse(e.value.dump());
    if (e.key) out["key"] = ojson::parse(e.key->dump());
    if (!e.node.empty()) out["node"] = e.node;
  }
  void operator()(const FaultEvent& e) {
    out["type"] = "fault";
    out["phase"] = e.phase == FaultEvent::Phase::kStart ? "start" : "end";
    out["id"] = e.id;
    if (!e.fault.is_null()) out["fault"] = ojson::parse(e.fault.dump());
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

}  // namespace

nlohmann::ordered_json to_json(const Event& event) {
  ojson out = ojson::object();
  out["time"] = event.time;
  std::visit(BodyWriter{out}, event.body);
  // Keep fields of the raw event that the typed body does not carry.
  if (event.raw.is_object()) {
    for (auto it = event.raw.begin(); it != event.raw.end(); ++it)
      if (!out.contains(it.key())) out[it.key()] = ojson::parse(it.value().dump());
  }
  return out;
}

std::string to_jsonl_line(const Event& event) { return to_json(event).dump() + "\n"; }

std::string to_jsonl_line(const nlohmann::json& raw) {
  ojson out = ojson::object();
  if (raw.is_object()) {
    if (raw.contains("time")) out["time"] = ojson::parse(raw["time"].dump());
    if (raw.contains("type")) out["type"] = ojson::parse(raw["type"].dump());
    for (auto it = raw.begin(); it != raw.end(); ++it)
      if (!out.contains(it.key())) out[it.key()] = ojson::parse(it.value().dump());
    return out.dump() + "\n";
  }
  return raw.dump() + "\n";
}

void write_jsonl_history(std::ostream& out, const History& history) {
  for (const auto& event : history.events) out << to_jsonl_line(event);
}

}  // namespace faultline::history
