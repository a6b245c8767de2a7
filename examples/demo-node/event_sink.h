// EventSink: where the demo node reports its detector, breaker and retry
// events (docs/events.md lines without "time"; the agent stamps them).
//
// Contract: from_env() sends one JSON object per datagram to the unix
// datagram socket named by env FAULTLINE_EVENTS (agent/PROTOCOL.md). When the
// variable is unset or empty, events are written as JSON lines to stderr
// instead (nothing is lost silently); `--events none` drops them. emit() is
// thread-safe and waits up to 1s for room in the agent's queue (then the
// event is dropped and counted: a lost event would mislead the checkers) and adds "node" when missing.
#pragma once

#include <atomic>
#include <mutex>
#include <string>

#include <nlohmann/json.hpp>

namespace faultline::demo {

class EventSink {
 public:
  enum class Mode { kSocket, kStderr, kNone };
  EventSink(std::string node, Mode mode, std::string path = {});
  ~EventSink();
  EventSink(const EventSink&) = delete;
  EventSink& operator=(const EventSink&) = delete;

  // FAULTLINE_EVENTS if set, else stderr.
  static Mode mode_from_env(std::string& path);

  void emit(nlohmann::json event);
  std::uint64_t dropped() const { return dropped_.load(); }
  const std::string& node() const { return node_; }

 private:
  std::string node_;
  Mode mode_;
  std::string path_;
  int fd_ = -1;
  std::mutex stderr_mu_;
  std::atomic<std::uint64_t> dropped_{0};
};

}  // namespace faultline::demo
