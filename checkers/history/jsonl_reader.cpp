#include "checkers/history/jsonl_reader.h"

#include <sys/mman.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <optional>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "checkers/history/jsonl_fast.h"
#include "checkers/history/jsonl_writer.h"

namespace faultline::history {
namespace {

using json = nlohmann::json;

constexpr std::size_t kChunkBytes = 1 << 20;  // lines are read 1 MiB at a time

// Field accessors: absent -> default (when optional) or error; present with
// the wrong type -> error naming the field and the expected type.
struct Fields {
  const json& obj;

  const json* find(const char* name) const {
    auto it = obj.find(name);
    return it == obj.end() ? nullptr : &*it;
  }

  Result<std::string> string(const char* name, bool required, std::string fallback = "") const {
    const json* v = find(name);
    if (!v) {
      if (required) return invalid_input(fmt::format("missing field \"{}\" (a string)", name));
      return fallback;
    }
    if (!v->is_string()) return invalid_input(fmt::format("field \"{}\" must be a string, got {}", name, v->dump()));
    return v->get<std::string>();
  }

  Result<std::int64_t> integer(const char* name, bool required, std::int64_t fallback = 0) const {
    const json* v = find(name);
    if (!v) {
      if (required) return invalid_input(fmt::format("missing field \"{}\" (an integer)", name));
      return fallback;
    }
    if (v->is_number_integer() && !v->is_number_unsigned()) return v->get<std::int64_t>();
    if (v->is_number_unsigned()) {
      auto u = v->get<std::uint64_t>();
      if (u > static_cast<std::uint64_t>(INT64_MAX))
        return invalid_input(fmt::format("field \"{}\" is out of range: {}", name, v->dump()));
      return static_cast<std::int64_t>(u);
    }
    return invalid_input(fmt::format("field \"{}\" must be an integer, got {}", name, v->dump()));
  }

  Result<bool> boolean(const char* name) const {
    const json* v = find(name);
    if (!v) return invalid_input(fmt::format("missing field \"{}\" (true or false)", name));
    if (!v->is_boolean()) return invalid_input(fmt::format("field \"{}\" must be true or false, got {}", name, v->dump()));
    return v->get<bool>();
  }

  Result<std::vector<std::string>> strings(const char* name, bool required) const {
    const json* v = find(name);
    if (!v) {
      if (required) return invalid_input(fmt::format("missing field \"{}\" (an array of strings)", name));
      return std::vector<std::string>{};
    }
    return string_array(*v, name);
  }

  static Result<std::vector<std::string>> string_array(const json& v, const std::string& what) {
    if (!v.is_array()) return invalid_input(fmt::format("field \"{}\" must be an array of strings, got {}", what, v.dump()));
    std::vector<std::string> out;
    out.reserve(v.size());
    for (const auto& item : v) {
      if (!item.is_string())
        return invalid_input(fmt::format("field \"{}\" must be an array of strings, has {}", what, item.dump()));
      out.push_back(item.get<std::string>());
    }
    return out;
  }
};

#define FL_TRY(var, expr)              \
  auto var##_r = (expr);               \
  if (!var##_r) return var##_r.error(); \
  auto var = std::move(var##_r).value()

Result<ClusterEvent> parse_cluster(const Fields& f) {
  FL_TRY(nodes, f.strings("nodes", true));
  return ClusterEvent{std::move(nodes)};
}

Result<ClientEvent> parse_client(const Fields& f, OpType type) {
  ClientEvent e;
  e.type = type;
  FL_TRY(process, f.integer("process", true));
  FL_TRY(fn, f.string("f", true));
  FL_TRY(node, f.string("node", false));
  e.process = process;
  e.f = std::move(fn);
  e.node = std::move(node);
  if (const json* v = f.find("value")) e.value = *v;
  if (const json* k = f.find("key")) e.key = *k;
  return e;
}

Result<FaultEvent> parse_fault(const Fields& f) {
  FaultEvent e;
  FL_TRY(phase, f.string("phase", true));
  if (phase == "start") e.phase = FaultEvent::Phase::kStart;
  else if (phase == "end") e.phase = FaultEvent::Phase::kEnd;
  else return invalid_input(fmt::format("field \"phase\" must be \"start\" or \"end\", got \"{}\"", phase));
  FL_TRY(id, f.string("id", true));
  e.id = std::move(id);
  if (const json* spec = f.find("fault")) {
    if (!spec->is_object()) return invalid_input(fmt::format("field \"fault\" must be an object, got {}", spec->dump()));
    auto kind = spec->find("kind");
    if (kind == spec->end() || !kind->is_string())
      return invalid_input("field \"fault\" must have a string \"kind\"");
    e.fault = *spec;
  } else if (e.phase == FaultEvent::Phase::kStart) {
    return invalid_input("missing field \"fault\" (the fault spec, an object with \"kind\") on a fault start");
  }
  FL_TRY(targets, f.strings("targets", false));
  e.targets = std::move(targets);
  if (const json* grudge = f.find("grudge")) {
    if (!grudge->is_object()) return invalid_input(fmt::format("field \"grudge\" must be an object, got {}", grudge->dump()));
    for (auto it = grudge->begin(); it != grudge->end(); ++it) {
      FL_TRY(dropped, Fields::string_array(it.value(), "grudge." + it.key()));
      e.grudge[it.key()] = std::move(dropped);
    }
  }
  return e;
}

Result<DetectorEvent> parse_detector(const Fields& f) {
  DetectorEvent e;
  FL_TRY(node, f.string("node", true));
  FL_TRY(subject, f.string("subject", true));
  FL_TRY(status, f.string("status", true));
  FL_TRY(incarnation, f.integer("incarnation", false, 0));
  e.node = std::move(node);
  e.subject = std::move(subject);
  e.incarnation = incarnation;
  if (status == "alive") e.status = DetectorStatus::kAlive;
  else if (status == "suspect") e.status = DetectorStatus::kSuspect;
  else if (status == "dead") e.status = DetectorStatus::kDead;
  else return invalid_input(fmt::format("field \"status\" must be alive, suspect or dead, got \"{}\"", status));
  return e;
}

Result<BreakerState> parse_state(const Fields& f, const char* name) {
  FL_TRY(s, f.string(name, true));
  if (s == "closed") return BreakerState::kClosed;
  if (s == "open") return BreakerState::kOpen;
  if (s == "half_open") return BreakerState::kHalfOpen;
  return invalid_input(fmt::format("field \"{}\" must be closed, open or half_open, got \"{}\"", name, s));
}

Result<BreakerEvent> parse_breaker(const Fields& f) {
  BreakerEvent e;
  FL_TRY(node, f.string("node", true));
  FL_TRY(name, f.string("name", true));
  FL_TRY(kind, f.string("event", true));
  e.node = std::move(node);
  e.name = std::move(name);
  if (kind == "call") {
    e.event = BreakerEvent::Kind::kCall;
    FL_TRY(call, f.integer("call", true));
    FL_TRY(permitted, f.boolean("permitted"));
    e.call = call;
    e.permitted = permitted;
  } else if (kind == "result") {
    e.event = BreakerEvent::Kind::kResult;
    FL_TRY(call, f.integer("call", true));
    FL_TRY(outcome, f.string("outcome", true));
    e.call = call;
    if (outcome == "success") e.success = true;
    else if (outcome == "failure") e.success = false;
    else return invalid_input(fmt::format("field \"outcome\" must be success or failure, got \"{}\"", outcome));
  } else if (kind == "transition") {
    e.event = BreakerEvent::Kind::kTransition;
    FL_TRY(from, parse_state(f, "from"));
    FL_TRY(to, parse_state(f, "to"));
    e.from = from;
    e.to = to;
  } else {
    return invalid_input(fmt::format("field \"event\" must be call, result or transition, got \"{}\"", kind));
  }
  return e;
}

Result<RetryEvent> parse_retry(const Fields& f) {
  RetryEvent e;
  FL_TRY(node, f.string("node", true));
  FL_TRY(op, f.integer("op", true));
  FL_TRY(attempt, f.integer("attempt", true));
  FL_TRY(delay, f.integer("delay", false, 0));
  FL_TRY(outcome, f.string("outcome", false));
  if (attempt < 0) return invalid_input(fmt::format("field \"attempt\" must be >= 0, got {}", attempt));
  if (delay < 0) return invalid_input(fmt::format("field \"delay\" must be >= 0 (ns), got {}", delay));
  e.node = std::move(node);
  e.op = op;
  e.attempt = attempt;
  e.delay = delay;
  e.outcome = std::move(outcome);
  return e;
}

Result<EventBody> parse_body(const std::string& type, const Fields& f) {
  auto wrap = [](auto r) -> Result<EventBody> {
    if (!r) return r.error();
    return EventBody{std::move(r).value()};
  };
  if (type == "cluster") return wrap(parse_cluster(f));
  if (type == "invoke") return wrap(parse_client(f, OpType::kInvoke));
  if (type == "ok") return wrap(parse_client(f, OpType::kOk));
  if (type == "fail") return wrap(parse_client(f, OpType::kFail));
  if (type == "info") return wrap(parse_client(f, OpType::kInfo));
  if (type == "fault") return wrap(parse_fault(f));
  if (type == "detector") return wrap(parse_detector(f));
  if (type == "breaker") return wrap(parse_breaker(f));
  if (type == "retry") return wrap(parse_retry(f));
  if (type == "log") {
    auto message = f.string("message", false);
    if (!message) return message.error();
    return EventBody{LogEvent{std::move(message).value()}};
  }
  return EventBody{UnknownEvent{type}};
}

// How many lines `in` has left (a last line without '\n' counts), when it
// can seek back to where it is; nullopt otherwise. Lets the reader size the
// event vector once instead of growing it (which holds the old and the new
// array at once).
std::optional<std::size_t> lines_left(std::istream& in) {
  const auto start = in.tellg();
  if (start == std::istream::pos_type(-1)) return std::nullopt;
  std::size_t lines = 0;
  char last = '\n';
  std::vector<char> buffer(1 << 16);
  while (in.read(buffer.data(), static_cast<std::streamsize>(buffer.size())) || in.gcount() > 0) {
    const auto n = static_cast<std::size_t>(in.gcount());
    lines += static_cast<std::size_t>(std::count(buffer.data(), buffer.data() + n, '\n'));
    last = buffer[n - 1];
  }
  if (last != '\n') ++lines;
  in.clear();
  in.seekg(start);
  if (!in) {
    in.clear();
    return std::nullopt;
  }
  return lines;
}

// A million events take ~200 MB, which the first touch maps 4 KiB at a
// time: 50,000 page faults, a third of the read on a VM. Transparent huge
// pages (where the kernel offers them on request) map it 2 MiB at a time.
void prefer_huge_pages(void* data, std::size_t bytes) {
  constexpr std::uintptr_t kHuge = 2u << 20;
  const auto begin = (reinterpret_cast<std::uintptr_t>(data) + kHuge - 1) & ~(kHuge - 1);
  const auto end = (reinterpret_cast<std::uintptr_t>(data) + bytes) & ~(kHuge - 1);
  if (end > begin) ::madvise(reinterpret_cast<void*>(begin), end - begin, MADV_HUGEPAGE);
}

// Stable sort by time without a second copy of the events: the recorder
// writes times in order, so usually there is nothing to do; otherwise the
// order is computed on (time, position) pairs and applied by cycles.
void sort_by_time(std::vector<Event>& events) {
  const auto by_time = [](const Event& a, const Event& b) { return a.time < b.time; };
  if (std::is_sorted(events.begin(), events.end(), by_time)) return;
  std::vector<std::pair<Nanos, std::size_t>> order(events.size());
  for (std::size_t i = 0; i < events.size(); ++i) order[i] = {events[i].time, i};
  std::stable_sort(order.begin(), order.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  // events[i] must become old events[order[i].second].
  for (std::size_t i = 0; i < events.size(); ++i) {
    if (order[i].second == i) continue;
    Event held = std::move(events[i]);
    std::size_t at = i;
    for (;;) {
      const std::size_t from = order[at].second;
      order[at].second = at;
      if (from == i) {
        events[at] = std::move(held);
        break;
      }
      events[at] = std::move(events[from]);
      at = from;
    }
  }
}

}  // namespace

Result<Event> parse_jsonl_event(const nlohmann::json& object) {
  if (!object.is_object()) return invalid_input(fmt::format("an event must be a JSON object, got {}", object.type_name()));
  Fields f{object};
  if (!f.find("time")) return invalid_input("missing field \"time\" (integer nanoseconds)");
  FL_TRY(time, f.integer("time", true));
  if (time < 0) return invalid_input(fmt::format("field \"time\" must be >= 0, got {}", time));
  if (!f.find("type")) return invalid_input("missing field \"type\"");
  FL_TRY(type, f.string("type", true));
  FL_TRY(body, parse_body(type, f));
  // The recorder keeps its file's times non-decreasing by writing a late
  // event at the current last time, with its actual time as
  // "time_estimate" (controller/run/history_recorder.h). Order by the actual
  // time: writing a client's invoke later than it happened would shorten
  // the operation and could make a linearizable history look illegal.
  if (f.find("time_estimate")) {
    FL_TRY(estimate, f.integer("time_estimate", true));
    if (estimate >= 0 && estimate < time) time = estimate;
  }
  Event event;
  event.time = time;
  for (auto it = object.begin(); it != object.end(); ++it) {
    if (writes_field(body, it.key())) continue;
    if (event.extra.is_null()) event.extra = json::object();
    event.extra[it.key()] = it.value();
  }
  event.body = std::move(body);
  return event;
}

Result<History> read_jsonl_history(std::istream& in, const std::string& source, JsonlParse parse) {
  History history;
  history.source = source;
  if (auto lines = lines_left(in)) {
    history.events.reserve(*lines);
    prefer_huge_pages(history.events.data(), history.events.capacity() * sizeof(Event));
  }
  std::size_t line_no = 0;
  bool have_cluster = false;
  simdjson::ondemand::parser fast_parser;
  // Lines are parsed where they lie in a chunk buffer (read whole lines at a
  // time, never the whole file), with simdjson's padding after the chunk.
  std::vector<char> buffer(kChunkBytes + simdjson::SIMDJSON_PADDING);
  std::size_t have = 0;
  bool eof = false;
  auto take_line = [&](const char* text, std::size_t length, std::size_t capacity) -> Result<void> {
    ++line_no;
    if (length > 0 && text[length - 1] == '\r') --length;
    const std::string_view view(text, length);
    if (view.find_first_not_of(" \t") == std::string_view::npos) return ok_result();
    Event event;
    if (parse != JsonlParse::kGeneral && parse_fast_event(fast_parser, text, length, capacity, event)) {
      event.line = line_no;
      history.events.push_back(std::move(event));
      return ok_result();
    }
    json object;
    try {
      object = json::parse(view);
    } catch (const json::parse_error& e) {
      // e.what() is "[json.exception.parse_error.101] parse error at line 1, column N: ..."
      std::string what = e.what();
      auto pos = what.find("column");
      return invalid_input(fmt::format("{}:{}: not valid JSON: {}", source, line_no,
                                       pos == std::string::npos ? what : what.substr(pos)));
    }
    auto parsed = parse_jsonl_event(object);
    if (!parsed) return invalid_input(fmt::format("{}:{}: {}", source, line_no, parsed.error().message));
    parsed->line = line_no;
    if (!have_cluster) {
      if (auto* cluster = std::get_if<ClusterEvent>(&parsed->body)) {
        history.nodes = cluster->nodes;
        have_cluster = true;
      }
    }
    history.events.push_back(std::move(parsed).value());
    return ok_result();
  };
  while (!eof || have > 0) {
    if (!eof) {
      if (have == buffer.size() - simdjson::SIMDJSON_PADDING)  // one line longer than the buffer: grow it
        buffer.resize(2 * (buffer.size() - simdjson::SIMDJSON_PADDING) + simdjson::SIMDJSON_PADDING);
      in.read(buffer.data() + have, static_cast<std::streamsize>(buffer.size() - simdjson::SIMDJSON_PADDING - have));
      const auto got = static_cast<std::size_t>(in.gcount());
      have += got;
      if (!in) eof = true;
    }
    const char* data = buffer.data();
    const std::size_t capacity_end = buffer.size();
    std::size_t start = 0;
    for (;;) {
      const void* nl = std::memchr(data + start, '\n', have - start);
      if (!nl) break;
      const auto end = static_cast<std::size_t>(static_cast<const char*>(nl) - data);
      if (auto r = take_line(data + start, end - start, capacity_end - start); !r) return r.error();
      start = end + 1;
    }
    if (eof && start < have) {  // a last line without '\n'
      if (auto r = take_line(data + start, have - start, capacity_end - start); !r) return r.error();
      start = have;
    }
    std::memmove(buffer.data(), buffer.data() + start, have - start);
    have -= start;
  }
  if (in.bad()) return io_error(fmt::format("{}: read error", source));
  sort_by_time(history.events);
  for (std::size_t i = 0; i < history.events.size(); ++i) history.events[i].index = i;
  return history;
}

}  // namespace faultline::history
