// EventHub: SUT events on their way from the local socket (or a tailed file)
// to subscribed controller connections.
//
// Contract: publish() stamps nothing itself (the caller gives the agent's
// CLOCK_MONOTONIC at arrival) and delivers to every subscriber, in publish
// order, under one lock, so every subscriber sees the same order. While no
// client is subscribed, events are kept in a bounded buffer (capacity given
// at construction); when it is full the OLDEST buffered event is dropped and
// counted (dropped()). The first subscriber receives the buffered events
// first, then live ones. Callbacks must not block (they queue a write).
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <mutex>

#include <nlohmann/json.hpp>

#include "common/units.h"

namespace faultline::agent {

class EventHub {
 public:
  using Callback = std::function<void(Nanos agent_mono, const nlohmann::json& event)>;

  explicit EventHub(std::size_t buffer_capacity = 10000) : capacity_(buffer_capacity) {}

  void publish(Nanos agent_mono, nlohmann::json event);
  void subscribe(std::uint64_t subscriber, Callback callback);
  void unsubscribe(std::uint64_t subscriber);

  std::uint64_t published() const;
  std::uint64_t dropped() const;
  std::uint64_t rejected() const;  // datagrams/lines that were not JSON objects
  void count_rejected();
  nlohmann::json stats() const;

 private:
  std::size_t capacity_;
  mutable std::mutex mutex_;
  std::map<std::uint64_t, Callback> subscribers_;
  std::deque<std::pair<Nanos, nlohmann::json>> buffer_;
  std::uint64_t published_ = 0;
  std::uint64_t dropped_ = 0;
  std::uint64_t rejected_ = 0;
};

}  // namespace faultline::agent
