#include "controller/run/connect_nodes.h"

#include <fmt/format.h>

#include <set>

#include "controller/output/exit_codes.h"
#include "controller/run/fan_out.h"
#include "controller/run/signals.h"

namespace faultline::controller {
namespace {

constexpr int kClockSamples = 8;

// Connects to one agent, says hello and measures its clock offset; returns
// the problem, or "" when the link is ready.
std::string link_up(NodeLink& link, const AgentConnector& connect) {
  auto client = connect(link.info.agent);
  if (!client)
    return fmt::format("node {}: cannot connect to its agent at {}:{}: {}", link.info.name, link.info.agent.host,
                       link.info.agent.port, client.error().message);
  link.client = std::move(*client);
  auto hello = link.client->hello();
  if (!hello) return fmt::format("node {}: hello failed: {}", link.info.name, hello.error().message);
  link.capabilities = hello->capabilities;
  std::vector<agent::ClockSample> samples;
  for (int k = 0; k < kClockSamples; ++k)
    if (auto s = link.client->clock_sample(); s) samples.push_back(*s);
  auto offset = estimate_offset(samples);
  if (!offset) return fmt::format("node {}: clock offset: {}", link.info.name, offset.error().message);
  link.offset = *offset;
  return {};
}

bool asks_ingress(const nlohmann::json& spec) {
  return spec.is_object() && spec.value("direction", nlohmann::json()) == "ingress";
}

// The kinds some fault of the run shapes ingress with ("direction":"ingress"):
// a given schedule's, else every variant the suite could draw.
std::vector<std::string> ingress_kinds(const RunContext& ctx) {
  std::set<std::string> kinds;
  auto note = [&](const nlohmann::json& spec) {
    if (asks_ingress(spec)) kinds.insert(spec.value("kind", std::string()));
  };
  if (ctx.options.schedule) {
    for (const auto& f : ctx.schedule) note(f.spec);
  } else {
    for (const auto& entry : ctx.suite.nemesis.schedule) {
      note(entry.fault.spec);
      for (const auto& package : entry.packages)
        for (const auto& v : package.variants) note(v.spec);
    }
  }
  return {kinds.begin(), kinds.end()};
}

// Every kind the schedule can produce, on every node: what no agent offers
// (for ingress_kinds, what no agent offers with "direction":"ingress").
std::vector<std::string> capability_refusals(const Suite& suite, const std::vector<std::string>& kinds,
                                             const std::vector<std::string>& ingress,
                                             const std::vector<NodeLink>& links) {
  std::vector<std::string> refusals;
  // cap: the probe's entry for the kind (or for its ingress direction); nullptr when the agent has none.
  auto check = [&](const NodeLink& link, const std::string& what, const nlohmann::json* cap) {
    if (!cap)
      refusals.push_back(fmt::format("node {}: {}: the agent does not offer it", link.info.name, what));
    else if (cap->is_object() && !cap->value("available", false))
      refusals.push_back(fmt::format("node {}: {}: {}", link.info.name, what,
                                     cap->value("reason", std::string("unavailable"))));
  };
  auto entry = [](const NodeLink& link, const std::string& kind) -> const nlohmann::json* {
    const auto& caps = link.capabilities;
    return caps.is_object() && caps.contains(kind) ? &caps[kind] : nullptr;
  };
  for (const auto& kind : kinds)
    for (const auto& link : links) check(link, fmt::format("fault kind '{}'", kind), entry(link, kind));
  for (const auto& kind : ingress)
    for (const auto& link : links) {
      const auto* cap = entry(link, kind);
      const auto* in = cap && cap->is_object() && cap->contains("ingress") && (*cap)["ingress"].is_object()
                           ? &(*cap)["ingress"] : nullptr;
      check(link, fmt::format("fault kind '{}' with direction ingress", kind), in);
    }
  if (suite.sut.data_fs)  // the data fs is FUSE, as the disk-slow kind's mechanism says
    for (const auto& link : links)
      if (auto cap = link.capabilities.value("disk-slow", nlohmann::json::object()); !cap.value("available", false))
        refusals.push_back(fmt::format("node {}: sut.data_fs: faultable: {}", link.info.name,
                                       cap.value("reason", std::string("the agent cannot mount a data fs"))));
  return refusals;
}

}  // namespace

bool connect_nodes(RunContext& ctx) {
  ProviderOptions popts;
  popts.bin_dir = ctx.options.bin_dir.empty() ? self_dir() : ctx.options.bin_dir;
  popts.interrupted = interrupted;
  popts.notice = [&ctx](const std::string& message) { ctx.console.line(message); };
  // A given schedule (a replay) needs exactly its kinds; a suite's, every kind any seed could draw.
  const auto kinds = ctx.options.schedule ? schedule_kinds(ctx.schedule) : possible_kinds(ctx.suite);
  popts.fault_kinds = kinds;
  if (ctx.suite.sut.data_fs) popts.fault_kinds.push_back("data-fs");
  ctx.console.line(fmt::format("bringing up the {} cluster", ctx.suite.cluster.provider));
  auto up = ctx.provider->up(ctx.suite.cluster, popts);
  if (!up) {
    if (interrupted()) return false;
    ctx.error(fmt::format("cluster: {}", up.error().message));
    if (up.error().code == ErrorCode::kUnavailable || up.error().code == ErrorCode::kInvalidInput)
      ctx.refused_code = kExitBadInput;
    return false;
  }
  ctx.cluster = std::move(*up);
  ctx.console.line(fmt::format("cluster {} up ({})", ctx.cluster->id(), ctx.cluster->state_file().string()));

  auto& links = ctx.links;
  links.resize(ctx.cluster->nodes().size());
  std::vector<std::string> problems(links.size());
  auto connect = ctx.options.connect ? ctx.options.connect : default_agent_connector();
  fan_out(links.size(), [&](std::size_t i) {
    links[i].info = ctx.cluster->nodes()[i];
    problems[i] = link_up(links[i], connect);
  });
  bool ok = true;
  for (const auto& p : problems)
    if (!p.empty()) {
      ctx.error(p);
      ok = false;
    }
  if (!ok) return false;

  auto refusals = capability_refusals(ctx.suite, kinds, ingress_kinds(ctx), links);
  for (const auto& r : refusals) ctx.error("refused: " + r);
  if (!refusals.empty()) {
    ctx.refused_code = kExitBadInput;
    return false;
  }
  return true;
}

}  // namespace faultline::controller
