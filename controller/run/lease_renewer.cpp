#include "controller/run/lease_renewer.h"

#include <chrono>

#include <fmt/format.h>

namespace faultline::controller {

LeaseRenewer::LeaseRenewer(RunContext& ctx) {
  thread_ = std::thread([this, &ctx] {
    const Nanos period = std::max<Nanos>(ctx.suite.lease / 3, 100'000'000);
    Nanos next = monotonic_now() + period;
    while (!stop_.load()) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      if (monotonic_now() < next) continue;
      next += period;
      for (auto& link : ctx.links)
        if (auto r = link.client->renew(); !r)
          ctx.console.line(fmt::format("warning: node {}: lease renewal failed: {}", link.info.name, r.error().message));
    }
  });
}

void LeaseRenewer::stop() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
}

}  // namespace faultline::controller
