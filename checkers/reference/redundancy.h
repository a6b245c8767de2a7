// Redundancy: one operation run on N replicas, decided by a quorum, with
// failover to backups when a replica is declared dead.
//
// Contract (a state machine: the caller dispatches, reports and cancels):
//  - start(now) returns the primaries to dispatch the operation to.
//  - succeeded(r, now) / failed(r, now) report a dispatched replica's result;
//    replica_dead(r, now) says a failure detector declared r dead: if r was
//    outstanding its attempt counts as failed, and the next unused backup (in
//    the order given) is dispatched in its place. With failover_on_failure, a
//    plain failure fails over the same way. Each returns a QuorumStep: the
//    outcome so far, the backups to dispatch now, and, at the instant of the
//    decision only, the outstanding replicas to cancel.
//  - The operation succeeds the instant `quorum` replicas have succeeded, and
//    fails the instant successes + outstanding + unused backups < quorum, or
//    at `deadline` (start + timeout, if timeout > 0) when tick(now) is called
//    at or after it. Once decided the outcome never changes; results arriving
//    afterwards, from replicas never dispatched, or twice, change nothing,
//    and to_cancel() lists the replicas still outstanding.
//  - Construction rejects quorum < 1 or quorum > primaries + backups, and a
//    replica named twice, with an kInvalidInput Error (via make()).
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/result.h"
#include "common/units.h"

namespace faultline::reference {

struct QuorumConfig {
  std::vector<std::string> primaries;
  std::vector<std::string> backups;
  std::size_t quorum = 1;
  Nanos timeout = 0;  // 0: none
  bool failover_on_failure = false;
};

enum class QuorumOutcome { kPending, kSucceeded, kFailed };
const char* to_string(QuorumOutcome outcome);

struct QuorumStep {
  QuorumOutcome outcome = QuorumOutcome::kPending;
  std::vector<std::string> dispatch;
  std::vector<std::string> cancel;
};

enum class ReplicaState { kIdle, kOutstanding, kSucceeded, kFailed, kDead };

class QuorumOperation {
 public:
  static Result<QuorumOperation> make(QuorumConfig config);

  std::vector<std::string> start(Nanos now);
  QuorumStep succeeded(const std::string& replica, Nanos now);
  QuorumStep failed(const std::string& replica, Nanos now);
  QuorumStep replica_dead(const std::string& replica, Nanos now);
  QuorumStep tick(Nanos now);

  QuorumOutcome outcome() const { return outcome_; }
  std::optional<Nanos> decided_at() const { return decided_at_; }
  std::size_t successes() const { return successes_; }
  std::vector<std::string> to_cancel() const;
  std::vector<std::string> dispatched() const { return dispatched_; }
  ReplicaState state(const std::string& replica) const;

 private:
  explicit QuorumOperation(QuorumConfig config);
  std::optional<std::string> take_backup();
  void decide(Nanos now);
  QuorumStep step(std::vector<std::string> dispatch, bool was_pending) const;
  void fail_over(std::vector<std::string>& dispatch);
  std::size_t outstanding() const;
  std::size_t unused_backups() const;

  QuorumConfig config_;
  std::map<std::string, ReplicaState> replicas_;
  std::size_t next_backup_ = 0;
  std::size_t successes_ = 0;
  std::vector<std::string> dispatched_;
  bool started_ = false;
  Nanos deadline_ = 0;
  QuorumOutcome outcome_ = QuorumOutcome::kPending;
  std::optional<Nanos> decided_at_;
};

}  // namespace faultline::reference
