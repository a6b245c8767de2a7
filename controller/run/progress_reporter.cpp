#include "controller/run/progress_reporter.h"

#include <algorithm>
#include <chrono>

#include <fmt/format.h>

namespace faultline::controller {

ProgressReporter::ProgressReporter(RunContext& ctx) : ctx_(ctx) {
  thread_ = std::thread([this] {
    std::uint64_t last_count = ctx_.history.count();
    Nanos last = monotonic_now();
    const Nanos period = ctx_.console.tty() ? 500'000'000 : 5'000'000'000;
    while (!stop_.load()) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      if (monotonic_now() - last < period) continue;
      Nanos t = monotonic_now();
      auto count = ctx_.history.count();
      double rate = static_cast<double>(count - last_count) * 1e9 / static_cast<double>(t - last);
      last = t;
      last_count = count;
      auto faults = ctx_.active.labels();
      double elapsed = static_cast<double>(ctx_.now() - ctx_.schedule_zero) / 1e9;
      ctx_.console.status(fmt::format("[{:6.1f}s / {:.0f}s] faults: {} | events: {} ({:.0f}/s)", std::max(0.0, elapsed),
                                      static_cast<double>(ctx_.suite.duration) / 1e9, faults.empty() ? "none" : faults,
                                      count, rate));
    }
  });
}

void ProgressReporter::stop() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
  ctx_.console.finish();
}

}  // namespace faultline::controller
