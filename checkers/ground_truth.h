// GroundTruth: which node can reach which, from a history's fault events.
//
// Contract (docs/history.md): nodes are numbered 0..n-1. A node
// is down while any `kill` or `pause` fault that targets it is active. While
// partitions are active, their grudges (node -> nodes whose packets it
// drops) are united, one-way where they are one-way: a packet from x gets to
// y when both are up and y does not drop x. A subject is reachable from an
// observer when both are up and each has a path to the other (directly or
// through other nodes: the strongly connected component of the working
// links), so a node that can send but not receive (or the reverse) is
// unreachable, and two-way grudges give the connected components of pairs
// that can talk both ways. A pair is degraded while a fault of a `degraded_kinds` kind (delay,
// loss, ...) is active that has no targets or targets either node. A
// partition without a grudge cannot be judged: it is treated as degraded for
// every pair and reported in warnings(). apply() takes fault events in time
// order; an `end` with an unknown id is ignored (warning). After a `kill`
// ends, restarted() lists its targets that are up again (their detectors
// start afresh). Unknown fault kinds do not change reachability.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "checkers/history/event.h"

namespace faultline::checkers {

// Where a (observer, subject) pair stands, as the detector checkers judge it.
enum class PairPhase : std::uint8_t { kReachable, kUnreachable, kObserverDown };

class NodeIndex {
 public:
  int add(const std::string& name);
  int find(const std::string& name) const;  // -1 if unknown
  const std::string& name(int id) const { return names_[static_cast<std::size_t>(id)]; }
  int size() const { return static_cast<int>(names_.size()); }

 private:
  std::vector<std::string> names_;
  std::unordered_map<std::string, int> ids_;
};

class GroundTruth {
 public:
  GroundTruth(const NodeIndex& nodes, std::set<std::string> degraded_kinds);

  // Applies one fault event at its time.
  void apply(const history::Event& event);

  bool up(int node) const { return down_[static_cast<std::size_t>(node)] == 0; }
  bool reachable(int observer, int subject) const {
    return up(observer) && up(subject) && component_[static_cast<std::size_t>(observer)] == component_[static_cast<std::size_t>(subject)];
  }
  // The active degraded fault affecting the pair ("f3 (delay)"), or "".
  std::string degraded_by(int observer, int subject) const;
  // Why the pair is unreachable now, for messages.
  std::string why_unreachable(int observer, int subject) const;
  // Nodes restarted by the last apply() (a kill ended).
  const std::vector<int>& restarted() const { return restarted_; }
  const std::vector<std::string>& warnings() const { return warnings_; }

 private:
  struct Active {
    std::string kind;
    std::vector<int> targets;
    std::vector<std::pair<int, int>> drops;  // (a, b): a drops b's packets
    bool degraded = false;
  };
  void recompute();
  bool affects(const Active& fault, int a, int b) const;

  const NodeIndex& nodes_;
  std::set<std::string> degraded_kinds_;
  std::map<std::string, Active> active_;
  std::vector<int> down_;
  std::vector<int> component_;
  std::vector<int> restarted_;
  std::vector<std::string> warnings_;
};

// Default kinds whose suspicions are mistakes, not violations.
std::vector<std::string> default_degraded_kinds();

}  // namespace faultline::checkers
