// RejoinGate: the `slow-recovery` bug switch of the demo node.
//
// Contract: while enabled, refusing() is true for `hold` after the node
// rejoins the majority — when its membership goes from seeing fewer than a
// majority of the cluster alive (itself included) to seeing a majority, as
// when a partition that cut it off heals — and for `hold` after start() when
// the node restarted over an existing replica log (restart_hold()). A
// background thread polls `status` every `poll`; stop() (and the destructor)
// joins it. Disabled (hold 0), refusing() is always false and no thread runs.
// The mistake it reproduces: a node that "warms up" (replays, resyncs,
// rebuilds caches) after rejoining and refuses every client request
// meanwhile, although a quorum could serve them: linearizable, but not
// available (the availability checker's recovery rule catches it).
#pragma once

#include <atomic>
#include <functional>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "checkers/reference/detector_status.h"
#include "common/units.h"

namespace faultline::demo {

class RejoinGate {
 public:
  using StatusOf = std::function<std::optional<reference::Status>(const std::string&)>;
  RejoinGate(Nanos hold, std::vector<std::string> peers, StatusOf status, Nanos poll = 100'000'000);
  ~RejoinGate();
  void restart_hold();  // refuse for `hold` from now (a restart over old state)
  void start();
  void stop();
  bool refusing() const;
  Nanos hold() const { return hold_; }

 private:
  void loop();
  Nanos hold_;
  std::vector<std::string> peers_;
  StatusOf status_;
  Nanos poll_;
  std::atomic<Nanos> refuse_until_{0};
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace faultline::demo
