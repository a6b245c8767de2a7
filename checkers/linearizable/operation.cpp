#include "checkers/linearizable/operation.h"

#include <unordered_map>

#include <fmt/format.h>

namespace faultline::checkers::linearizable {

using history::ClientEvent;
using history::OpType;

Result<std::vector<Operation>> collect_operations(const history::History& history) {
  std::vector<Operation> ops;
  ops.reserve(history.events.size() / 2 + 1);
  std::unordered_map<std::int64_t, std::size_t> pending;  // process -> index in ops
  pending.reserve(256);
  std::vector<bool> failed;
  failed.reserve(history.events.size() / 2 + 1);
  auto where = [&](const history::Event& e) { return fmt::format("{}:{}", history.source, e.line); };
  for (std::size_t i = 0; i < history.events.size(); ++i) {
    const auto& event = history.events[i];
    const auto* client = std::get_if<ClientEvent>(&event.body);
    if (!client) continue;
    auto it = pending.find(client->process);
    if (client->type == OpType::kInvoke) {
      if (it != pending.end()) {
        const auto& open = history.events[ops[it->second].call];
        return invalid_input(fmt::format("{}: process {} invokes {} while its {} from line {} has no completion",
                                         where(event), client->process, client->f, ops[it->second].f, open.line));
      }
      Operation op;
      op.process = client->process;
      op.f = client->f;
      op.in = &client->value;
      if (client->key) op.k = &*client->key;
      op.info = true;  // until a completion says otherwise
      op.call = i;
      op.line = event.line;
      pending.emplace(client->process, ops.size());
      ops.push_back(std::move(op));
      failed.push_back(false);
      continue;
    }
    if (it == pending.end())
      return invalid_input(fmt::format("{}: {} completion of {} by process {} has no invoke", where(event),
                                       history::to_string(client->type), client->f, client->process));
    Operation& op = ops[it->second];
    if (op.f != client->f)
      return invalid_input(fmt::format("{}: process {} completes {} but invoked {} (line {})", where(event),
                                       client->process, client->f, op.f, history.events[op.call].line));
    pending.erase(it);
    if (op.key().is_null() && client->key) op.k = &*client->key;
    switch (client->type) {
      case OpType::kOk:
        op.info = false;
        op.ret = i;
        op.out = &client->value;
        break;
      case OpType::kFail:
        failed[&op - ops.data()] = true;
        break;
      default:  // info: stays indeterminate, no return
        break;
    }
  }
  std::size_t kept = 0;
  for (std::size_t i = 0; i < ops.size(); ++i)
    if (!failed[i]) {
      if (kept != i) ops[kept] = std::move(ops[i]);
      ++kept;
    }
  ops.resize(kept);
  return ops;
}

namespace {
nlohmann::json where(const history::History& history, std::size_t index) {
  const auto& e = history.events[index];
  return {{"time", e.time}, {"line", e.line}, {"index", e.index}};
}
}  // namespace

nlohmann::json describe_operation(const Operation& op, const history::History& history) {
  nlohmann::json out = {{"process", op.process}, {"f", op.f}, {"value", op.input()}, {"type", op.info ? "info" : "ok"}};
  if (!op.info) out["output"] = op.output();
  if (!op.key().is_null()) out["key"] = op.key();
  out["invoke"] = where(history, op.call);
  if (op.ret != kNever) out["complete"] = where(history, op.ret);
  return out;
}

std::string summarize_operation(const Operation& op) {
  std::string s = fmt::format("process {} {}", op.process, op.f);
  if (!op.input().is_null()) s += " " + op.input().dump();
  if (op.info) return s + " -> info (indeterminate)";
  return s + " -> ok " + (op.output().is_null() ? std::string("nil") : op.output().dump());
}

}  // namespace faultline::checkers::linearizable
