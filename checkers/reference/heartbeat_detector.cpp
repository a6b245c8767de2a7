#include "checkers/reference/heartbeat_detector.h"

#include <utility>

namespace faultline::reference {

namespace {

Status verdict(Nanos silence, Nanos timeout) {
  if (silence >= timeout) return Status::kDead;
  if (silence >= timeout / 2) return Status::kSuspect;
  return Status::kAlive;
}

int rank(Status status) { return static_cast<int>(status); }

}  // namespace

std::vector<StatusChange> sweep(NodeTable& table, const HeartbeatConfig& config,
                                const std::string& observer, Nanos now) {
  std::vector<StatusChange> changes;
  for (auto& [name, record] : table) {
    Status next = verdict(now - record.last_heartbeat, config.timeout);
    // Silence only grows between heartbeats: never move a verdict backwards.
    if (rank(next) <= rank(record.status)) continue;
    record.status = next;
    if (next == Status::kDead) ++record.failure_count;
    changes.push_back(StatusChange{now, observer, name, next, record.incarnation});
  }
  return changes;
}

HeartbeatDetector::HeartbeatDetector(std::string observer, HeartbeatConfig config)
    : observer_(std::move(observer)), config_(config) {}

std::vector<StatusChange> HeartbeatDetector::heartbeat(const std::string& node, Nanos now,
                                                       std::uint64_t incarnation) {
  auto [it, inserted] = table_.try_emplace(node);
  NodeRecord& record = it->second;
  std::vector<StatusChange> changes;
  if (!inserted && record.status != Status::kAlive) {
    changes.push_back(StatusChange{now, observer_, node, Status::kAlive, incarnation});
  }
  if (inserted || now > record.last_heartbeat) record.last_heartbeat = now;
  record.status = Status::kAlive;
  record.incarnation = incarnation;
  return notify(std::move(changes));
}

std::vector<StatusChange> HeartbeatDetector::evaluate(Nanos now) {
  return notify(sweep(table_, config_, observer_, now));
}

std::vector<StatusChange> HeartbeatDetector::notify(std::vector<StatusChange> changes) {
  if (listener_) {
    for (const auto& change : changes) listener_(change);
  }
  return changes;
}

std::optional<Status> HeartbeatDetector::status(const std::string& node) const {
  auto it = table_.find(node);
  if (it == table_.end()) return std::nullopt;
  return it->second.status;
}

std::uint64_t HeartbeatDetector::failure_count(const std::string& node) const {
  auto it = table_.find(node);
  return it == table_.end() ? 0 : it->second.failure_count;
}

Result<void> check_background_sweep(const BackgroundStep& step, HeartbeatConfig config) {
  HeartbeatDetector detector("observer", config);
  detector.heartbeat("live", 0);
  detector.heartbeat("silent", 0);
  auto expect = [&](Nanos at, Status silent_status) -> Result<void> {
    detector.heartbeat("live", at);
    step(detector, at);
    auto silent = detector.status("silent");
    auto live = detector.status("live");
    if (!silent || *silent != silent_status) {
      return internal_error(std::string("background step did not update the detector's node table: node 'silent', "
                                        "quiet since 0, is '") +
                            (silent ? to_string(*silent) : "missing") + "' in the real table at " +
                            format_duration(at) + ", expected '" + to_string(silent_status) +
                            "' (does the task sweep a copy of the table?)");
    }
    if (!live || *live != Status::kAlive) {
      return internal_error("background step changed node 'live', which sent a heartbeat at " +
                            format_duration(at));
    }
    return ok_result();
  };
  if (auto r = expect(config.timeout / 2, Status::kSuspect); !r) return r;
  if (auto r = expect(config.timeout, Status::kDead); !r) return r;
  if (detector.failure_count("silent") != 1) {
    return internal_error("node 'silent' declared dead but its failure count is " +
                          std::to_string(detector.failure_count("silent")) + ", expected 1");
  }
  return ok_result();
}

}  // namespace faultline::reference
