#include "checkers/history/jepsen_log_reader.h"

#include <charconv>
#include <optional>

#include <fmt/format.h>

#include "checkers/history/edn.h"

namespace faultline::history {
namespace {

bool space(char c) { return c == ' ' || c == '\t' || c == '\r'; }

std::string_view trim_front(std::string_view s) {
  while (!s.empty() && space(s.front())) s.remove_prefix(1);
  return s;
}

// The next whitespace-separated field of `rest` (which is advanced past it).
std::string_view field(std::string_view& rest) {
  rest = trim_front(rest);
  std::size_t n = 0;
  while (n < rest.size() && !space(rest[n])) ++n;
  std::string_view f = rest.substr(0, n);
  rest.remove_prefix(n);
  return f;
}

// The message after "jepsen.util - " or "jepsen.util: ", if the line has one.
std::optional<std::string_view> message(std::string_view line) {
  constexpr std::string_view kLogger = "jepsen.util";
  const std::size_t at = line.find(kLogger);
  if (at == std::string_view::npos) return std::nullopt;
  std::string_view rest = line.substr(at + kLogger.size());
  if (!rest.empty() && rest.front() == ':') {
    rest.remove_prefix(1);
  } else {
    rest = trim_front(rest);
    if (rest.empty() || rest.front() != '-') return std::nullopt;
    rest.remove_prefix(1);
  }
  return rest;
}

struct OpFields {
  bool nemesis = false;
  std::int64_t process = 0;
  OpType type = OpType::kInvoke;
  std::string_view f;
  std::string_view rest;  // VALUE [ERROR]
};

std::optional<OpFields> op_fields(std::string_view line) {
  auto msg = message(line);
  if (!msg) return std::nullopt;
  std::string_view rest = *msg;
  OpFields op;
  const std::string_view process = field(rest);
  if (process == ":nemesis") {
    op.nemesis = true;
  } else {
    auto [end, ec] = std::from_chars(process.data(), process.data() + process.size(), op.process);
    if (ec != std::errc() || end != process.data() + process.size() || process.empty()) return std::nullopt;
  }
  const std::string_view type = field(rest);
  if (type == ":invoke") op.type = OpType::kInvoke;
  else if (type == ":ok") op.type = OpType::kOk;
  else if (type == ":fail") op.type = OpType::kFail;
  else if (type == ":info") op.type = OpType::kInfo;
  else return std::nullopt;
  op.f = field(rest);
  if (op.f.size() < 2 || op.f.front() != ':') return std::nullopt;
  op.f.remove_prefix(1);
  op.rest = trim_front(rest);
  return op;
}

}  // namespace

bool is_jepsen_log_op_line(std::string_view line) { return op_fields(line).has_value(); }

Result<History> read_jepsen_log_history(std::string_view text, const std::string& source) {
  History history;
  history.source = source;
  std::size_t line_no = 0;
  while (!text.empty()) {
    ++line_no;
    const std::size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
    auto op = op_fields(line);
    if (!op || op->nemesis) continue;
    ClientEvent client;
    client.type = op->type;
    client.process = op->process;
    client.f = std::string(op->f);
    Event event;
    if (!op->rest.empty()) {
      edn::Parser parser(op->rest);
      auto value = parser.next();
      if (!value) return invalid_input(fmt::format("{}:{}: value: {}", source, line_no, value.error().message));
      client.value = std::move(value).value();
      auto end = parser.at_end();
      if (!end) return invalid_input(fmt::format("{}:{}: {}", source, line_no, end.error().message));
      if (!*end) {
        std::string_view error = op->rest.substr(parser.position().column - 1);
        while (!error.empty() && space(error.back())) error.remove_suffix(1);
        event.extra = nlohmann::json{{"error", std::string(error)}};
      }
    }
    event.line = line_no;
    event.index = history.events.size();
    event.body = std::move(client);
    history.events.push_back(std::move(event));
  }
  return history;
}

}  // namespace faultline::history
