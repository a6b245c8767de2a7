#include "checkers/history/edn_writer.h"

#include "checkers/history/edn.h"
#include "checkers/history/jsonl_writer.h"

namespace faultline::history {
namespace {

using json = nlohmann::json;

const char* type_keyword(OpType type) {
  switch (type) {
    case OpType::kInvoke: return ":invoke";
    case OpType::kOk: return ":ok";
    case OpType::kFail: return ":fail";
    case OpType::kInfo: return ":info";
  }
  return ":info";
}

// A name as an EDN keyword's text (":a-b"); spaces and brackets are not
// keyword characters, so such a name stays a string.
json keyword(const std::string& name) { return ":" + name; }

json client_op(const Event& event, const ClientEvent& op) {
  json out = json::object();
  out[":time"] = event.time;
  out[":process"] = op.process;
  out[":type"] = type_keyword(op.type);
  out[":f"] = keyword(op.f);
  out[":value"] = op.value;
  if (op.key) out[":key"] = *op.key;
  if (!op.node.empty()) out[":node"] = op.node;
  // The other fields the line had (an error, a latency...).
  auto full = to_json(event);
  for (auto it = full.begin(); it != full.end(); ++it) {
    const auto& k = it.key();
    if (k == "time" || k == "type" || k == "process" || k == "f" || k == "value" || k == "key" || k == "node") continue;
    out[":" + k] = json(it.value());
  }
  return out;
}

json nemesis_op(const Event& event, const FaultEvent& fault, const std::string& kind) {
  json value = json::object();
  value[":id"] = fault.id;
  if (fault.phase == FaultEvent::Phase::kStart) {
    value[":fault"] = fault.fault;
    value[":targets"] = fault.targets;
    if (!fault.grudge.empty()) value[":grudge"] = fault.grudge;
  }
  return json{{":time", event.time},
              {":process", ":nemesis"},
              {":type", ":info"},
              {":f", keyword((fault.phase == FaultEvent::Phase::kStart ? "start-" : "stop-") + kind)},
              {":value", value}};
}

}  // namespace

void write_edn_history(std::ostream& out, const History& history, const EdnExportOptions& options) {
  std::map<std::string, std::string> fault_kinds;  // id -> kind, for the end line
  std::int64_t index = 0;
  for (const auto& event : history.events) {
    json op;
    if (const auto* client = std::get_if<ClientEvent>(&event.body)) {
      op = client_op(event, *client);
    } else if (const auto* fault = std::get_if<FaultEvent>(&event.body); fault && !options.client_only) {
      std::string kind = fault->kind();
      if (fault->phase == FaultEvent::Phase::kStart) fault_kinds[fault->id] = kind;
      else kind = fault_kinds.count(fault->id) ? fault_kinds[fault->id] : "fault";
      op = nemesis_op(event, *fault, kind.empty() ? "fault" : kind);
    } else {
      continue;
    }
    op[":index"] = index++;
    out << edn::to_edn(op) << "\n";
  }
}

}  // namespace faultline::history
