// The history model: one run's events on the controller's timeline.
//
// Contract (docs/history.md): a History is the ordered list of events of
// one test; `time` is nanoseconds since the test began; events with equal time
// are in causal (file) order, which `index` preserves. Each event keeps the
// source line it came from (`line`, 1-based; 0 when built in memory) so
// checkers can point at it. Known types are parsed into typed bodies; unknown
// types are kept as UnknownEvent so the format can grow. An event's JSON is
// rebuilt from its typed body (jsonl_writer.h to_json) for reports, findings
// and re-written histories; `extra` holds only the fields of the source
// object that the typed body does not (an UnknownEvent's fields, a
// "time_estimate", an EDN op's :error, ...): null when there are none, which
// is the usual case, so that an event costs its typed body and little more.
// Readers (jsonl_reader.h, edn_reader.h, reader.h) reject malformed input with
// the file, line and reason; they never guess.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

namespace faultline::history {

using Nanos = std::int64_t;

struct ClusterEvent {
  std::vector<std::string> nodes;
};

// Client operations, Jepsen-style.
enum class OpType { kInvoke, kOk, kFail, kInfo };
struct ClientEvent {
  OpType type = OpType::kInvoke;
  std::int64_t process = 0;
  std::string f;
  nlohmann::json value;               // null when absent
  std::optional<nlohmann::json> key;  // for P-compositional models (kv)
  std::string node;                   // may be empty
};

struct FaultEvent {
  enum class Phase { kStart, kEnd };
  Phase phase = Phase::kStart;
  std::string id;
  nlohmann::json fault;                // the spec, kind included (start only)
  std::vector<std::string> targets;    // start only
  // For partitions: node -> nodes whose packets it drops.
  std::map<std::string, std::vector<std::string>> grudge;
  std::string kind() const { return fault.is_object() && fault.contains("kind") ? fault["kind"].get<std::string>() : ""; }
};

enum class DetectorStatus { kAlive, kSuspect, kDead };
struct DetectorEvent {
  std::string node;     // the observer
  std::string subject;  // the node it judges
  DetectorStatus status = DetectorStatus::kAlive;
  std::int64_t incarnation = 0;
};

enum class BreakerState { kClosed, kOpen, kHalfOpen };
struct BreakerEvent {
  enum class Kind { kCall, kResult, kTransition };
  Kind event = Kind::kCall;
  std::string node;
  std::string name;
  std::int64_t call = 0;    // call/result: the call id
  bool permitted = false;   // call
  bool success = false;     // result: outcome == "success"
  BreakerState from = BreakerState::kClosed;  // transition
  BreakerState to = BreakerState::kClosed;    // transition
};

struct RetryEvent {
  std::string node;
  std::int64_t op = 0;
  std::int64_t attempt = 0;
  Nanos delay = 0;
  std::string outcome;  // "success", "failure", "non-retryable", ...
};

struct LogEvent {
  std::string message;
};

struct UnknownEvent {
  std::string type;
};

using EventBody = std::variant<ClusterEvent, ClientEvent, FaultEvent, DetectorEvent, BreakerEvent,
                               RetryEvent, LogEvent, UnknownEvent>;

struct Event {
  Nanos time = 0;
  std::size_t index = 0;  // position in the history
  std::size_t line = 0;   // source line, 1-based; 0 if none
  EventBody body;
  nlohmann::json extra;   // source fields the body does not hold (an object), or null
};

struct History {
  std::string source;               // file name, for messages
  std::vector<std::string> nodes;   // from the cluster event
  std::vector<Event> events;
  Nanos end_time() const { return events.empty() ? 0 : events.back().time; }
};

// Names used in the JSONL format.
const char* to_string(OpType type);
const char* to_string(DetectorStatus status);
const char* to_string(BreakerState state);

}  // namespace faultline::history
