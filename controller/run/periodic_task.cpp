#include "controller/run/periodic_task.h"

#include <algorithm>
#include <chrono>

namespace faultline::controller {

PeriodicTask::PeriodicTask(Nanos period, std::function<void()> tick, Nanos poll) {
  thread_ = std::thread([this, period, poll, tick = std::move(tick)] {
    Nanos next = monotonic_now() + period;
    while (!stop_.load()) {
      std::this_thread::sleep_for(std::chrono::nanoseconds(std::min(poll, period)));
      if (stop_.load() || monotonic_now() < next) continue;
      next += period;
      tick();
    }
  });
}

void PeriodicTask::stop() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
}

}  // namespace faultline::controller
