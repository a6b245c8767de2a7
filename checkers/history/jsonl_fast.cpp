#include "checkers/history/jsonl_fast.h"

#include <cstdint>
#include <string_view>

namespace faultline::history {
namespace {

using namespace simdjson;

// The fields of the fast types; a bit each, to see each at most once.
enum Field : std::uint32_t {
  kTime = 1u << 0, kType = 1u << 1, kNode = 1u << 2, kSubject = 1u << 3, kStatus = 1u << 4,
  kIncarnation = 1u << 5, kName = 1u << 6, kEvent = 1u << 7, kCall = 1u << 8, kPermitted = 1u << 9,
  kOutcome = 1u << 10, kFrom = 1u << 11, kTo = 1u << 12, kOp = 1u << 13, kAttempt = 1u << 14, kDelay = 1u << 15,
};

Field field_of(std::string_view key) {
  switch (key.size()) {
    case 2: return key == "op" ? kOp : key == "to" ? kTo : Field{};
    case 4:
      if (key == "time") return kTime;
      if (key == "type") return kType;
      if (key == "node") return kNode;
      if (key == "name") return kName;
      if (key == "call") return kCall;
      if (key == "from") return kFrom;
      return Field{};
    case 5: return key == "event" ? kEvent : key == "delay" ? kDelay : Field{};
    case 6: return key == "status" ? kStatus : Field{};
    case 7:
      if (key == "subject") return kSubject;
      if (key == "outcome") return kOutcome;
      if (key == "attempt") return kAttempt;
      return Field{};
    case 9: return key == "permitted" ? kPermitted : Field{};
    case 11: return key == "incarnation" ? kIncarnation : Field{};
    default: return Field{};
  }
}

bool breaker_state(std::string_view s, BreakerState& out) {
  if (s == "closed") out = BreakerState::kClosed;
  else if (s == "open") out = BreakerState::kOpen;
  else if (s == "half_open") out = BreakerState::kHalfOpen;
  else return false;
  return true;
}

}  // namespace

bool parse_fast_event(ondemand::parser& parser, const char* line, std::size_t length, std::size_t capacity, Event& event) {
  ondemand::document doc;
  if (parser.iterate(line, length, capacity).get(doc)) return false;
  ondemand::object object;
  if (doc.get_object().get(object)) return false;
  std::uint32_t seen = 0;
  std::int64_t time = 0, incarnation = 0, call = 0, op = 0, attempt = 0, delay = 0;
  bool permitted = false;
  std::string_view type, node, subject, status, name, kind, outcome, from, to;
  for (auto member : object) {
    std::string_view key;
    if (member.unescaped_key().get(key)) return false;
    const Field f = field_of(key);
    if (f == Field{} || (seen & f)) return false;  // a field the fast types do not have, or twice
    seen |= f;
    ondemand::value value;
    if (member.value().get(value)) return false;
    bool bad = false;
    switch (f) {
      case kTime: bad = value.get_int64().get(time) != SUCCESS; break;
      case kIncarnation: bad = value.get_int64().get(incarnation) != SUCCESS; break;
      case kCall: bad = value.get_int64().get(call) != SUCCESS; break;
      case kOp: bad = value.get_int64().get(op) != SUCCESS; break;
      case kAttempt: bad = value.get_int64().get(attempt) != SUCCESS; break;
      case kDelay: bad = value.get_int64().get(delay) != SUCCESS; break;
      case kPermitted: bad = value.get_bool().get(permitted) != SUCCESS; break;
      case kType: bad = value.get_string().get(type) != SUCCESS; break;
      case kNode: bad = value.get_string().get(node) != SUCCESS; break;
      case kSubject: bad = value.get_string().get(subject) != SUCCESS; break;
      case kStatus: bad = value.get_string().get(status) != SUCCESS; break;
      case kName: bad = value.get_string().get(name) != SUCCESS; break;
      case kEvent: bad = value.get_string().get(kind) != SUCCESS; break;
      case kOutcome: bad = value.get_string().get(outcome) != SUCCESS; break;
      case kFrom: bad = value.get_string().get(from) != SUCCESS; break;
      case kTo: bad = value.get_string().get(to) != SUCCESS; break;
    }
    if (bad) return false;
  }
  const char* after = nullptr;
  if (doc.current_location().get(after) == SUCCESS) return false;  // something after the object
  if (!(seen & kTime) || time < 0 || !(seen & kType)) return false;
  // Which fields each type may have; the required ones are checked below.
  const auto only = [&](std::uint32_t allowed) { return (seen & ~allowed) == 0; };
  if (type == "detector") {
    if (!only(kTime | kType | kNode | kSubject | kStatus | kIncarnation) || !(seen & kNode) || !(seen & kSubject) ||
        !(seen & kStatus))
      return false;
    DetectorEvent e;
    if (status == "alive") e.status = DetectorStatus::kAlive;
    else if (status == "suspect") e.status = DetectorStatus::kSuspect;
    else if (status == "dead") e.status = DetectorStatus::kDead;
    else return false;
    e.node = node;
    e.subject = subject;
    e.incarnation = incarnation;
    event.body = std::move(e);
  } else if (type == "breaker") {
    if (!(seen & kNode) || !(seen & kName) || !(seen & kEvent)) return false;
    BreakerEvent e;
    const std::uint32_t base = kTime | kType | kNode | kName | kEvent;
    if (kind == "call") {
      if (!only(base | kCall | kPermitted) || !(seen & kCall) || !(seen & kPermitted)) return false;
      e.event = BreakerEvent::Kind::kCall;
      e.call = call;
      e.permitted = permitted;
    } else if (kind == "result") {
      if (!only(base | kCall | kOutcome) || !(seen & kCall) || !(seen & kOutcome)) return false;
      e.event = BreakerEvent::Kind::kResult;
      e.call = call;
      if (outcome == "success") e.success = true;
      else if (outcome != "failure") return false;
    } else if (kind == "transition") {
      if (!only(base | kFrom | kTo) || !(seen & kFrom) || !(seen & kTo)) return false;
      e.event = BreakerEvent::Kind::kTransition;
      if (!breaker_state(from, e.from) || !breaker_state(to, e.to)) return false;
    } else {
      return false;
    }
    e.node = node;
    e.name = name;
    event.body = std::move(e);
  } else if (type == "retry") {
    if (!only(kTime | kType | kNode | kOp | kAttempt | kDelay | kOutcome) || !(seen & kNode) || !(seen & kOp) ||
        !(seen & kAttempt) || attempt < 0 || delay < 0 || ((seen & kOutcome) && outcome.empty()))
      return false;
    event.body = RetryEvent{std::string(node), op, attempt, delay, std::string(outcome)};
  } else {
    return false;
  }
  event.time = time;
  event.extra = nullptr;
  return true;
}

}  // namespace faultline::history
