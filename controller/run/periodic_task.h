// PeriodicTask: a thread that calls one function at a fixed period while the
// run goes on (the lease renewer, the progress line).
//
// Contract: the constructor starts a thread that calls `tick()` every
// `period` (the first call one period after the start), checking every
// `poll` whether it is stopped; stop() (or the destructor) stops it and
// joins, after which tick() is never called again. tick() runs on that
// thread and must not throw.
#pragma once

#include <atomic>
#include <functional>
#include <thread>

#include "common/units.h"

namespace faultline::controller {

class PeriodicTask {
 public:
  PeriodicTask(Nanos period, std::function<void()> tick, Nanos poll = 50'000'000);
  ~PeriodicTask() { stop(); }
  PeriodicTask(const PeriodicTask&) = delete;
  PeriodicTask& operator=(const PeriodicTask&) = delete;
  void stop();

 private:
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace faultline::controller
