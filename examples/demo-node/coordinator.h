// Coordinator: quorum reads and writes over every replica (this node's
// ReplicaStore and one PeerLink per peer), ABD style, with retries.
//
// Contract: a replica round sends one request to every replica at once and
// is decided by the reference QuorumOperation (checkers/reference/
// redundancy.h) with quorum = majority, timeout `round_timeout`.
//  - write(key, value): round 1 reads the highest stamp from a majority,
//    then the value is put with stamp (highest.counter + 1, self/pid/n) to a
//    majority (unique per write). The stamp, once chosen, is kept across retries, so a retried
//    write never overtakes a later write.
//  - read(key): round 1 reads a majority and takes the newest value; if the
//    majority disagreed, round 2 writes it back to a majority before
//    answering (so a read never returns a value a later read could miss).
// Each operation is retried with the reference RetryPolicy and RetryBudget
// (one budget per node); every attempt is reported as a docs/events.md `retry`
// event (op = pid * 1e6 + per-process counter, unique across restarts, attempt, delay slept before it, outcome).
// Results: read -> value, or an Error (definitely not done); write -> ok, or
// an Error after which the write may or may not have happened.
//
// Bug switches: read_one (read the local replica only), retry_no_cap
// (backoff without max_delay and without the budget).
#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <vector>

#include "checkers/reference/retry_budget.h"
#include "checkers/reference/retry_policy.h"
#include "common/result.h"
#include "examples/demo-node/event_sink.h"
#include "examples/demo-node/peer_link.h"
#include "examples/demo-node/replica_store.h"

namespace faultline::demo {

struct CoordinatorOptions {
  std::string self;
  Nanos round_timeout = 500'000'000;
  reference::RetryConfig retry;
  reference::RetryBudgetConfig budget;
  bool read_one = false;
  bool retry_no_cap = false;
  std::uint64_t seed = 1;
};

class Coordinator {
 public:
  Coordinator(CoordinatorOptions options, ReplicaStore& local, std::vector<std::shared_ptr<PeerLink>> peers,
              EventSink& events);
  Result<std::string> read(const std::string& key);
  Result<void> write(const std::string& key, const std::string& value);

  // The replica side (requests from other coordinators).
  nlohmann::json serve_replica(const nlohmann::json& request);

 private:
  struct RoundResult;
  // Sends `request` to every replica; true when a majority answered ok.
  Result<std::vector<nlohmann::json>> round(const nlohmann::json& request);
  nlohmann::json local(const nlohmann::json& request);
  // Runs `attempt` under the retry policy, reporting each attempt.
  template <class F>
  auto with_retries(F attempt) -> decltype(attempt());

  CoordinatorOptions options_;
  ReplicaStore& local_;
  std::vector<std::shared_ptr<PeerLink>> peers_;
  EventSink& events_;
  reference::RetryPolicy policy_;
  std::mutex mu_;  // rng_, budget_
  std::mt19937_64 rng_;
  reference::RetryBudget budget_;
  // Op ids stay unique across restarts of the node (pid * 1e6 + n), since
  // the retry checker groups attempts per (node, op).
  std::atomic<std::int64_t> next_op_;
  std::atomic<std::int64_t> next_write_{1};
};

}  // namespace faultline::demo
