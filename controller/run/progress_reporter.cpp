#include "controller/run/progress_reporter.h"

#include <algorithm>

#include <fmt/format.h>

namespace faultline::controller {

std::unique_ptr<PeriodicTask> report_progress(RunContext& ctx) {
  struct Rate {
    std::uint64_t count;
    Nanos at;
  };
  auto last = std::make_shared<Rate>(Rate{ctx.history.count(), monotonic_now()});
  const Nanos period = ctx.console.tty() ? 500'000'000 : 5'000'000'000;
  return std::make_unique<PeriodicTask>(
      period,
      [&ctx, last] {
        const Nanos t = monotonic_now();
        const auto count = ctx.history.count();
        const double rate = static_cast<double>(count - last->count) * 1e9 / static_cast<double>(t - last->at);
        *last = Rate{count, t};
        const auto faults = ctx.active.labels();
        const double elapsed = static_cast<double>(ctx.now() - ctx.schedule_zero) / 1e9;
        ctx.console.status(fmt::format("[{:6.1f}s / {:.0f}s] faults: {} | events: {} ({:.0f}/s)", std::max(0.0, elapsed),
                                       static_cast<double>(ctx.suite.duration) / 1e9,
                                       faults.empty() ? "none" : faults, count, rate));
      },
      100'000'000);
}

}  // namespace faultline::controller
