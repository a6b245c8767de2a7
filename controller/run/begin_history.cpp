#include "controller/run/begin_history.h"

#include <fmt/format.h>

namespace faultline::controller {

bool begin_history(RunContext& ctx) {
  const Nanos t0 = monotonic_now();
  if (auto h = ctx.history.open(ctx.dir / "history.jsonl", [t0] { return monotonic_now() - t0; }); !h) {
    ctx.error(h.error().message);
    return false;
  }
  ctx.t0 = t0;
  ctx.history.record(0, {{"type", "cluster"}, {"nodes", ctx.suite.cluster.nodes}});
  nlohmann::json offsets = nlohmann::json::object();
  for (const auto& l : ctx.links) offsets[l.info.name] = {{"offset_ns", l.offset.offset}, {"error_ns", l.offset.error}};
  ctx.history.record(0, {{"type", "log"},
                         {"message", fmt::format("suite {} seed {} provider {} cluster {}", ctx.suite.name,
                                                 ctx.suite.nemesis.seed, ctx.suite.cluster.provider, ctx.cluster->id())},
                         {"clock_offsets", offsets}});
  bool subscribed = true;
  for (auto& link : ctx.links) {
    const std::string name = link.info.name;
    const ClockOffset offset = link.offset;
    auto& history = ctx.history;
    auto sub = link.client->subscribe_events([&history, t0, name, offset](const agent::AgentEvent& ev) {
      if (!ev.event.is_object() || !ev.event.contains("type")) return;
      nlohmann::json event = ev.event;
      if (!event.contains("node")) event["node"] = name;
      history.record(offset.to_controller(ev.agent_mono) - t0, event);
    });
    if (!sub) {
      ctx.error(fmt::format("node {}: subscribe to events: {}", name, sub.error().message));
      subscribed = false;
    }
  }
  return subscribed;
}

}  // namespace faultline::controller
