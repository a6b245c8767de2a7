#include "controller/run/nemesis_driver.h"

#include <algorithm>
#include <chrono>
#include <set>
#include <thread>

#include <fmt/format.h>

#include "controller/nemesis/partition.h"
#include "controller/run/fan_out.h"
#include "controller/run/placeholders.h"
#include "controller/run/signals.h"

namespace faultline::controller {
namespace {

struct Action {
  Nanos at;
  bool start;
  std::size_t fault;
};

std::vector<Action> actions_of(const std::vector<ScheduledFault>& schedule) {
  std::vector<Action> actions;
  for (std::size_t i = 0; i < schedule.size(); ++i) {
    actions.push_back({schedule[i].start, true, i});
    actions.push_back({schedule[i].end, false, i});
  }
  std::stable_sort(actions.begin(), actions.end(), [](const Action& a, const Action& b) {
    return a.at != b.at ? a.at < b.at : (!a.start && b.start);  // ends before starts at the same instant
  });
  return actions;
}

}  // namespace

bool NemesisDriver::run() {
  for (const auto& action : actions_of(ctx_.schedule)) {
    if (!wait_until(action.at)) return false;
    const auto& fault = ctx_.schedule[action.fault];
    if (action.start) start(fault);
    else end(fault);
  }
  return wait_until(ctx_.suite.duration);
}

bool NemesisDriver::wait_until(Nanos schedule_time) {
  while (!interrupted()) {
    Nanos left = ctx_.schedule_zero + schedule_time - ctx_.now();
    if (left <= 0) return true;
    std::this_thread::sleep_for(std::chrono::nanoseconds(std::min<Nanos>(left, 50'000'000)));
  }
  return false;
}

std::map<std::string, nlohmann::json> NemesisDriver::node_specs(const ScheduledFault& fault) {
  std::map<std::string, std::string> addresses;
  for (const auto& l : ctx_.links) addresses[l.info.name] = l.info.address;
  if (fault.kind() == "partition")
    return partition_specs(fault.grudge, addresses, fault.spec);
  std::map<std::string, nlohmann::json> specs;
  const auto infos = ctx_.node_infos();
  const auto index = ctx_.node_index();
  for (const auto& node : fault.targets)
    specs[node] = expand_json(fault.spec, node_values({ctx_.suite, infos, ctx_.suite_dir}, index.at(node)));
  return specs;
}

void NemesisDriver::start(const ScheduledFault& fault) {
  auto specs = node_specs(fault);
  const auto index = ctx_.node_index();
  std::vector<std::string> nodes;
  for (const auto& [node, spec] : specs) nodes.push_back(node);
  std::vector<std::string> ids(nodes.size()), errors(nodes.size());
  fan_out(nodes.size(), [&](std::size_t k) {
    auto parsed = faults::FaultSpec::parse(specs[nodes[k]]);
    if (!parsed) {
      errors[k] = fmt::format("{}: {}", nodes[k], parsed.error().message);
      return;
    }
    auto applied = ctx_.links[index.at(nodes[k])].client->apply(*parsed, ctx_.suite.lease);
    if (!applied) errors[k] = fmt::format("{}: apply: {}", nodes[k], applied.error().message);
    else ids[k] = applied->id;
  });

  ActiveFault active;
  active.fault = &fault;
  ExecutedFault executed;
  executed.id = fault.id;
  executed.kind = fault.kind();
  executed.spec = fault.spec;
  if (fault.kind() == "partition") executed.grudge = fault.grudge;
  std::set<std::string> applied_on;
  for (std::size_t k = 0; k < nodes.size(); ++k) {
    if (!errors[k].empty()) {
      executed.errors.push_back(errors[k]);
      ctx_.console.line(fmt::format("error: fault {} ({}) on {}", fault.id, fault.kind(), errors[k]));
    } else {
      active.agent_ids[nodes[k]] = ids[k];
      applied_on.insert(nodes[k]);
    }
  }
  nlohmann::json event{{"type", "fault"}, {"phase", "start"}, {"id", fault.id}, {"fault", fault.spec}};
  auto targets = nlohmann::json::array();
  for (const auto& node : fault.targets)
    if (fault.kind() == "partition" || applied_on.count(node)) targets.push_back(node);
  event["targets"] = targets;
  if (fault.kind() == "partition") event["grudge"] = fault.grudge;
  if (!executed.errors.empty()) event["errors"] = executed.errors;
  executed.start = ctx_.history.record(ctx_.now(), event);
  for (const auto& t : targets) executed.targets.push_back(t);
  ctx_.console.line(fmt::format("{} start {} on {}{}", fault.id, fault.spec.dump(), targets.dump(),
                                executed.errors.empty() ? "" : " (with errors)"));
  {
    std::lock_guard lock(ctx_.summary_mutex);
    active.summary_index = ctx_.summary.faults.size();
    ctx_.summary.faults.push_back(executed);
  }
  ctx_.active.add(std::move(active));
}

void NemesisDriver::end(const ScheduledFault& fault) {
  auto active = ctx_.active.take(&fault);
  if (!active) return;
  const auto index = ctx_.node_index();
  std::vector<std::pair<std::string, std::string>> ids(active->agent_ids.begin(), active->agent_ids.end());
  std::vector<std::string> errors(ids.size());
  fan_out(ids.size(), [&](std::size_t k) {
    if (auto r = ctx_.links[index.at(ids[k].first)].client->heal(ids[k].second); !r)
      errors[k] = fmt::format("{}: heal: {}", ids[k].first, r.error().message);
  });
  Nanos end = ctx_.history.record(ctx_.now(), {{"type", "fault"}, {"phase", "end"}, {"id", fault.id}});
  {
    std::lock_guard lock(ctx_.summary_mutex);
    auto& executed = ctx_.summary.faults[active->summary_index];
    executed.end = end;
    for (const auto& e : errors)
      if (!e.empty()) executed.errors.push_back(e);
  }
  for (const auto& e : errors)
    if (!e.empty()) ctx_.console.line(fmt::format("error: fault {} ({}) on {}", fault.id, fault.kind(), e));
  ctx_.console.line(fmt::format("{} end ({})", fault.id, fault.kind()));
}

void NemesisDriver::heal_active() {
  const auto index = ctx_.node_index();
  for (auto& a : ctx_.active.take_all()) {
    for (const auto& [node, id] : a.agent_ids) {
      auto it = index.find(node);
      if (it != index.end() && ctx_.links[it->second].client) (void)ctx_.links[it->second].client->heal(id);
    }
    Nanos end = ctx_.history.record(ctx_.now(), {{"type", "fault"}, {"phase", "end"}, {"id", a.fault->id}});
    std::lock_guard lock(ctx_.summary_mutex);
    ctx_.summary.faults[a.summary_index].end = end;
  }
}

}  // namespace faultline::controller
