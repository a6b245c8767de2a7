#include "examples/demo-node/peer_link.h"

#include <time.h>
#include <unistd.h>

#include <limits>

namespace faultline::demo {
namespace {

reference::BreakerConfig effective(PeerLinkOptions options) {
  // BUG (breaker-unlimited-half-open): no limit on trial calls in half-open.
  if (options.unlimited_half_open) options.breaker.half_open_max_calls = std::numeric_limits<int>::max();
  return options.breaker;
}

}  // namespace

PeerLink::PeerLink(std::string peer, Endpoint endpoint, PeerLinkOptions options, EventSink& events)
    : peer_(std::move(peer)), endpoint_(std::move(endpoint)), options_(options), events_(events),
      breaker_(effective(options)), next_call_(static_cast<std::int64_t>(::getpid()) * 1'000'000 + 1) {
  const std::string name = "peer-" + peer_;
  breaker_.set_listener([this, name](const reference::BreakerRecord& r) {
    nlohmann::json e{{"type", "breaker"}, {"name", name}};
    switch (r.kind) {
      case reference::BreakerRecord::Kind::kCall:
        e["event"] = "call";
        e["call"] = r.call;
        e["permitted"] = r.permitted;
        break;
      case reference::BreakerRecord::Kind::kResult:
        e["event"] = "result";
        e["call"] = r.call;
        e["outcome"] = r.success ? "success" : "failure";
        break;
      case reference::BreakerRecord::Kind::kTransition:
        e["event"] = "transition";
        e["from"] = reference::to_string(r.transition.from);
        e["to"] = reference::to_string(r.transition.to);
        break;
    }
    events_.emit(std::move(e));
  });
}

Nanos PeerLink::breaker_now() const {
  timespec ts{};
  // BUG (breaker-wall-clock): the wall clock jumps with clock faults.
  ::clock_gettime(options_.wall_clock ? CLOCK_REALTIME : CLOCK_MONOTONIC, &ts);
  return static_cast<Nanos>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

Result<nlohmann::json> PeerLink::call(const nlohmann::json& request, Nanos timeout) {
  reference::CircuitBreaker::Decision decision;
  {
    std::lock_guard lock(mu_);
    decision = breaker_.allow(breaker_now(), next_call_++);
  }
  if (!decision.permitted) return unavailable("circuit to " + peer_ + " is open");
  Nanos deadline = monotonic_now() + timeout;
  Result<nlohmann::json> reply = unavailable("not called");
  auto conn = Connection::connect(endpoint_, timeout);
  if (!conn) reply = conn.error();
  else reply = conn->call(request, deadline - monotonic_now());
  {
    std::lock_guard lock(mu_);
    breaker_.record(breaker_now(), decision.call, reply.ok());
  }
  return reply;
}

}  // namespace faultline::demo
