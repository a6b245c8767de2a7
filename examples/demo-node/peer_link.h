// PeerLink: every call from this node to one peer's store, guarded by that
// peer's circuit breaker (the reference breaker, checkers/reference/
// circuit_breaker.h) and reported as docs/events.md `breaker` events named
// "peer-<peer>".
//
// Contract: call() asks the breaker first; a rejected call returns
// kUnavailable("circuit open") without touching the network. A permitted
// call opens a TCP connection, sends one JSON line and reads one reply line
// within `timeout`; a transport error or timeout is a breaker failure, any
// reply (even {"ok":false}) is a success: the peer answered. The breaker's
// time is CLOCK_MONOTONIC, except with the breaker-wall-clock bug.
// Thread-safe: the breaker and its events are serialised by one mutex, so
// events leave in the order the breaker made them.
//
// Bug switches: unlimited_half_open (half-open admits every call: the
// service configures no trial limit), wall_clock (recovery timeout measured
// on CLOCK_REALTIME, so a clock fault shortens or stretches it).
#pragma once

#include <mutex>
#include <string>

#include <nlohmann/json.hpp>

#include "checkers/reference/circuit_breaker.h"
#include "common/result.h"
#include "examples/demo-node/event_sink.h"
#include "examples/demo-node/wire.h"

namespace faultline::demo {

struct PeerLinkOptions {
  reference::BreakerConfig breaker;
  bool unlimited_half_open = false;
  bool wall_clock = false;
};

class PeerLink {
 public:
  PeerLink(std::string peer, Endpoint endpoint, PeerLinkOptions options, EventSink& events);
  Result<nlohmann::json> call(const nlohmann::json& request, Nanos timeout);
  const std::string& peer() const { return peer_; }

 private:
  Nanos breaker_now() const;

  std::string peer_;
  Endpoint endpoint_;
  PeerLinkOptions options_;
  EventSink& events_;
  std::mutex mu_;
  reference::CircuitBreaker breaker_;
  std::int64_t next_call_;  // pid * 1e6 + n: call ids unique across restarts
};

}  // namespace faultline::demo
