#include "controller/run/start_sut.h"

#include <chrono>
#include <thread>

#include <fmt/format.h>

#include "controller/cluster/tcp_wait.h"
#include "controller/run/fan_out.h"
#include "controller/run/placeholders.h"
#include "controller/run/signals.h"

namespace faultline::controller {
namespace {

// Runs the ready command inside the node (through its agent) until it
// exits 0; the last failure's output is kept for the error message.
bool command_ready(agent::AgentClient& agent, const std::string& command, Nanos timeout, std::string& last_output) {
  const Nanos deadline = monotonic_now() + timeout;
  while (!interrupted()) {
    const Nanos left = deadline - monotonic_now();
    if (left <= 0) return false;
    auto run = agent.exec({"/bin/sh", "-c", command}, left);
    if (run && run->exit_code == 0 && !run->timed_out) return true;
    last_output = run ? fmt::format("exit {}{}: {}", run->exit_code, run->timed_out ? " (timed out)" : "", run->output)
                      : run.error().message;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  return false;
}

bool wait_ready(const ReadyCheck& ready, NodeLink& link, const Placeholders& values, std::string& detail) {
  switch (ready.kind) {
    case ReadyCheck::Kind::kNone: return true;
    case ReadyCheck::Kind::kDelay: std::this_thread::sleep_for(std::chrono::nanoseconds(ready.delay)); return true;
    case ReadyCheck::Kind::kTcp: return wait_for_tcp(link.info.address, ready.port, ready.timeout, interrupted);
    case ReadyCheck::Kind::kCommand:
      return command_ready(*link.client, expand(ready.command, values), ready.timeout, detail);
  }
  return false;
}

// Starts one node's SUT and waits for it; returns the problem or "".
std::string start_one(RunContext& ctx, const std::vector<NodeInfo>& infos, std::size_t i) {
  const SutConfig& sut = ctx.suite.sut;
  auto values = node_values({ctx.suite, infos, ctx.suite_dir}, i);
  agent::SutSpec spec;
  for (const auto& arg : sut.command) spec.command.push_back(expand(arg, values));
  for (const auto& [k, v] : sut.env) spec.env[k] = expand(v, values);
  spec.env["FAULTLINE_NODE"] = infos[i].name;
  spec.per_process_clock = sut.per_process_clock;
  if (sut.data_fs) spec.data_fs = infos[i].data_dir;
  if (auto r = ctx.links[i].client->start_sut(spec); !r)
    return fmt::format("node {}: starting the SUT: {}", infos[i].name, r.error().message);
  std::string detail;
  if (!wait_ready(sut.ready, ctx.links[i], values, detail) && !interrupted())
    return fmt::format("node {}: the SUT was not up within {}{}", infos[i].name, format_duration(sut.ready.timeout),
                       detail.empty() ? "" : " (ready command, last try: " + detail + ")");
  return {};
}

}  // namespace

bool start_sut(RunContext& ctx) {
  const auto infos = ctx.node_infos();
  std::vector<std::string> problems(infos.size());
  fan_out(infos.size(), [&](std::size_t i) { problems[i] = start_one(ctx, infos, i); });
  bool ok = true;
  for (const auto& p : problems)
    if (!p.empty()) {
      ctx.error(p);
      ok = false;
    }
  if (!ok || interrupted()) return false;
  ctx.schedule_zero = ctx.now();
  {
    std::lock_guard lock(ctx.summary_mutex);
    ctx.summary.schedule_zero = ctx.schedule_zero;
  }
  ctx.log(fmt::format("sut up on every node; schedule starts (schedule time 0 = history time {})", ctx.schedule_zero));
  ctx.console.line(fmt::format("SUT up on {} nodes after {}; running for {}", infos.size(),
                               format_duration(ctx.schedule_zero), format_duration(ctx.suite.duration)));
  return true;
}

}  // namespace faultline::controller
