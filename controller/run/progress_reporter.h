// ProgressReporter: the run's status line.
//
// Contract: while it lives, a thread prints "[elapsed / duration] faults:
// ACTIVE | events: N (RATE/s)" every 0.5 s on a terminal, every 5 s
// otherwise (ctx.console decides how). stop() (or the destructor) joins it
// and clears the status line.
#pragma once

#include <atomic>
#include <thread>

#include "controller/run/run_context.h"

namespace faultline::controller {

class ProgressReporter {
 public:
  explicit ProgressReporter(RunContext& ctx);
  ~ProgressReporter() { stop(); }
  ProgressReporter(const ProgressReporter&) = delete;
  ProgressReporter& operator=(const ProgressReporter&) = delete;
  void stop();

 private:
  RunContext& ctx_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace faultline::controller
