#include "examples/demo-node/coordinator.h"

#include <unistd.h>

#include <condition_variable>
#include <thread>

#include "checkers/reference/redundancy.h"

namespace faultline::demo {
namespace {

reference::RetryConfig effective(reference::RetryConfig c, bool no_cap) {
  // BUG (retry-no-cap): the exponential backoff has no maximum delay.
  if (no_cap) c.max_delay = std::numeric_limits<Nanos>::max() / 4;
  return c;
}

Versioned versioned(const nlohmann::json& reply) {
  return {reply.value("value", ""), {reply.value("c", std::int64_t{0}), reply.value("n", "")}};
}

}  // namespace

Coordinator::Coordinator(CoordinatorOptions options, ReplicaStore& local, std::vector<std::shared_ptr<PeerLink>> peers,
                         EventSink& events)
    : options_(std::move(options)), local_(local), peers_(std::move(peers)), events_(events),
      policy_(effective(options_.retry, options_.retry_no_cap)), rng_(options_.seed), budget_(options_.budget),
      next_op_(static_cast<std::int64_t>(::getpid()) * 1'000'000 + 1) {}

nlohmann::json Coordinator::local(const nlohmann::json& request) {
  const auto key = request.value("key", "");
  if (request.value("op", "") == "get") {
    auto v = local_.get(key);
    return {{"ok", true}, {"value", v.value}, {"c", v.stamp.counter}, {"n", v.stamp.node}};
  }
  if (request.value("op", "") == "put") {
    auto r = local_.put(key, versioned(request));
    if (!r) return {{"ok", false}, {"error", r.error().message}};
    return {{"ok", true}};
  }
  return {{"ok", false}, {"error", "unknown replica op"}};
}

nlohmann::json Coordinator::serve_replica(const nlohmann::json& request) { return local(request); }

// Shared between the round and its replica calls (which may outlive it).
struct Coordinator::RoundResult {
  std::mutex mu;
  std::condition_variable cv;
  std::unique_ptr<reference::QuorumOperation> op;
  std::vector<nlohmann::json> replies;
};

Result<std::vector<nlohmann::json>> Coordinator::round(const nlohmann::json& request) {
  reference::QuorumConfig qc;
  qc.primaries.push_back(options_.self);
  for (const auto& p : peers_) qc.primaries.push_back(p->peer());
  qc.quorum = qc.primaries.size() / 2 + 1;
  qc.timeout = options_.round_timeout;
  auto made = reference::QuorumOperation::make(qc);
  if (!made) return made.error();
  auto state = std::make_shared<RoundResult>();
  state->op = std::make_unique<reference::QuorumOperation>(std::move(made).value());
  state->op->start(monotonic_now());
  auto report = [state](const std::string& replica, const Result<nlohmann::json>& reply) {
    std::lock_guard lock(state->mu);
    if (reply.ok() && reply->value("ok", false)) {
      if (state->op->outcome() == reference::QuorumOutcome::kPending) state->replies.push_back(*reply);
      state->op->succeeded(replica, monotonic_now());
    } else {
      state->op->failed(replica, monotonic_now());
    }
    state->cv.notify_all();
  };
  for (const auto& peer : peers_) {
    std::thread([peer, request, report, timeout = options_.round_timeout] {
      report(peer->peer(), peer->call(request, timeout));
    }).detach();
  }
  report(options_.self, local(request));
  std::unique_lock lock(state->mu);
  Nanos deadline = monotonic_now() + options_.round_timeout;
  while (state->op->outcome() == reference::QuorumOutcome::kPending) {
    Nanos left = deadline - monotonic_now();
    if (left <= 0) {
      state->op->tick(monotonic_now());
      break;
    }
    state->cv.wait_for(lock, std::chrono::nanoseconds(std::min<Nanos>(left, 20'000'000)));
  }
  if (state->op->outcome() != reference::QuorumOutcome::kSucceeded)
    return unavailable("no quorum (" + std::to_string(state->op->successes()) + " of " +
                       std::to_string(qc.quorum) + " replicas answered)");
  return state->replies;
}

template <class F>
auto Coordinator::with_retries(F attempt) -> decltype(attempt()) {
  const std::int64_t op = next_op_++;
  std::unique_lock lock(mu_);
  // BUG (retry-no-cap): no retry budget either.
  reference::RetryRun run(policy_, rng_, options_.retry_no_cap ? nullptr : &budget_);
  decltype(attempt()) result = unavailable("not attempted");
  while (auto delay = run.next()) {
    lock.unlock();
    if (*delay > 0) std::this_thread::sleep_for(std::chrono::nanoseconds(*delay));
    result = attempt();
    events_.emit({{"type", "retry"},
                  {"op", op},
                  {"attempt", run.attempts() - 1},
                  {"delay", *delay},
                  {"outcome", result.ok() ? "success" : "failure"}});
    lock.lock();
    run.report(result.ok() ? reference::AttemptOutcome::kSuccess : reference::AttemptOutcome::kFailure);
  }
  return result;
}

Result<std::string> Coordinator::read(const std::string& key) {
  if (options_.read_one) {
    // BUG (read-one): one replica is enough, says the author; it is not.
    return local_.get(key).value;
  }
  return with_retries([&]() -> Result<std::string> {
    auto replies = round({{"op", "get"}, {"key", key}});
    if (!replies) return replies.error();
    Versioned newest = versioned(replies->front());
    bool disagree = false;
    for (const auto& r : *replies) {
      auto v = versioned(r);
      if (v.stamp != newest.stamp) disagree = true;
      if (newest.stamp < v.stamp) newest = v;
    }
    if (disagree) {
      auto back = round({{"op", "put"}, {"key", key}, {"value", newest.value}, {"c", newest.stamp.counter}, {"n", newest.stamp.node}});
      if (!back) return back.error();
    }
    return newest.value;
  });
}

Result<void> Coordinator::write(const std::string& key, const std::string& value) {
  std::optional<Stamp> stamp;
  return with_retries([&]() -> Result<void> {
    if (!stamp) {
      auto replies = round({{"op", "get"}, {"key", key}});
      if (!replies) return replies.error();
      Stamp highest;
      for (const auto& r : *replies) highest = std::max(highest, versioned(r).stamp);
      // The tie-break must be unique per write, not per node: two concurrent
      // writes through one coordinator can read the same highest counter.
      stamp = Stamp{highest.counter + 1, options_.self + "/" + std::to_string(::getpid()) + "/" +
                                             std::to_string(next_write_++)};
    }
    auto put = round({{"op", "put"}, {"key", key}, {"value", value}, {"c", stamp->counter}, {"n", stamp->node}});
    if (!put) return put.error();
    return ok_result();
  });
}

}  // namespace faultline::demo
