#include "checkers/history/edn_reader.h"

#include <iterator>
#include <sstream>

#include <fmt/format.h>

#include "checkers/history/edn.h"

namespace faultline::history {
namespace {

using json = nlohmann::json;

// ":read" -> "read"; a plain string stays as it is.
std::string strip_colon(const std::string& s) { return !s.empty() && s[0] == ':' ? s.substr(1) : s; }

// Converts one op map. Returns std::nullopt-like empty optional for ops to skip.
Result<std::optional<Event>> convert(const json& form) {
  if (!form.is_object()) return invalid_input(fmt::format("expected an op map {{:process .. :type ..}}, got {}", edn::to_edn(form)));
  auto find = [&](const char* key) -> const json* {
    auto it = form.find(std::string(":") + key);
    return it == form.end() ? nullptr : &*it;
  };
  const json* process = find("process");
  if (!process) return invalid_input("op map has no :process");
  if (process->is_string() && process->get<std::string>() == ":nemesis") return std::optional<Event>{};
  if (!process->is_number_integer())
    return invalid_input(fmt::format(":process must be an integer or :nemesis, got {}", edn::to_edn(*process)));

  ClientEvent op;
  op.process = process->get<std::int64_t>();
  const json* type = find("type");
  if (!type) return invalid_input("op map has no :type");
  std::string type_name = type->is_string() ? strip_colon(type->get<std::string>()) : "";
  if (type_name == "invoke") op.type = OpType::kInvoke;
  else if (type_name == "ok") op.type = OpType::kOk;
  else if (type_name == "fail") op.type = OpType::kFail;
  else if (type_name == "info") op.type = OpType::kInfo;
  else return invalid_input(fmt::format(":type must be :invoke, :ok, :fail or :info, got {}", edn::to_edn(*type)));
  const json* f = find("f");
  if (!f) return invalid_input("op map has no :f");
  if (!f->is_string()) return invalid_input(fmt::format(":f must be a keyword or string, got {}", edn::to_edn(*f)));
  op.f = strip_colon(f->get<std::string>());
  if (const json* value = find("value")) op.value = *value;
  if (const json* key = find("key")) op.key = *key;
  if (const json* node = find("node")) {
    if (!node->is_string()) return invalid_input(fmt::format(":node must be a string, got {}", edn::to_edn(*node)));
    op.node = strip_colon(node->get<std::string>());
  }
  Event event;
  if (const json* time = find("time")) {
    if (!time->is_number_integer() || time->get<std::int64_t>() < 0)
      return invalid_input(fmt::format(":time must be an integer >= 0 (nanoseconds), got {}", edn::to_edn(*time)));
    event.time = time->get<std::int64_t>();
  }
  if (const json* index = find("index"); index && !index->is_number_integer())
    return invalid_input(fmt::format(":index must be an integer, got {}", edn::to_edn(*index)));

  // Keys the typed op does not hold (:error, :index, ...) stay beside it.
  for (auto it = form.begin(); it != form.end(); ++it) {
    std::string name = strip_colon(it.key());
    if (name == "time" || name == "type" || name == "process" || name == "f" || name == "value" ||
        name == "key" || name == "node")
      continue;
    if (event.extra.is_null()) event.extra = json::object();
    event.extra[std::move(name)] = it.value();
  }
  event.body = std::move(op);
  return std::optional<Event>(std::move(event));
}

}  // namespace

Result<History> read_edn_history(std::string_view text, const std::string& source) {
  History history;
  history.source = source;
  edn::Parser parser(text);
  auto fail = [&](const Error& e) { return Error{e.code, source + ": " + e.message}; };
  auto fail_at = [&](std::size_t line, const Error& e) {
    return Error{e.code, fmt::format("{}:{}: {}", source, line, e.message)};
  };
  auto opened = parser.open_sequence();
  if (!opened) return fail(opened.error());
  bool in_sequence = *opened;
  for (;;) {
    if (in_sequence) {
      auto closed = parser.close_sequence();
      if (!closed) return fail(closed.error());
      if (*closed) break;
    } else {
      auto end = parser.at_end();
      if (!end) return fail(end.error());
      if (*end) break;
    }
    std::size_t line = parser.position().line;
    auto form = parser.next();
    if (!form) return fail(form.error());
    auto event = convert(*form);
    if (!event) return fail_at(line, event.error());
    if (!event->has_value()) continue;
    Event e = std::move(**event);
    e.line = line;
    e.index = history.events.size();
    history.events.push_back(std::move(e));
  }
  if (in_sequence) {
    auto end = parser.at_end();
    if (!end) return fail(end.error());
    if (!*end) {
      auto p = parser.position();
      return invalid_input(fmt::format("{}:{}: unexpected form after the top-level sequence (column {})", source, p.line, p.column));
    }
  }
  return history;
}

Result<History> read_edn_history(std::istream& in, const std::string& source) {
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) return io_error(source + ": read failed");
  return read_edn_history(text, source);
}

}  // namespace faultline::history
