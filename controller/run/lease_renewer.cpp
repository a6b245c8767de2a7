#include "controller/run/lease_renewer.h"

#include <algorithm>

#include <fmt/format.h>

namespace faultline::controller {

std::unique_ptr<PeriodicTask> renew_leases(RunContext& ctx) {
  return std::make_unique<PeriodicTask>(std::max<Nanos>(ctx.suite.lease / 3, 100'000'000), [&ctx] {
    for (auto& link : ctx.links)
      if (auto r = link.client->renew(); !r)
        ctx.console.line(fmt::format("warning: node {}: lease renewal failed: {}", link.info.name, r.error().message));
  });
}

}  // namespace faultline::controller
