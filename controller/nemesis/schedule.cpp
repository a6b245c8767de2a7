#include "controller/nemesis/schedule.h"

#include <algorithm>
#include <set>

#include <fmt/format.h>

#include "controller/nemesis/selector.h"
#include "faults/fault_spec.h"

namespace faultline::controller {
namespace {

Result<ScheduledFault> instantiate(const FaultTemplate& t, Nanos start, Nanos duration, const Suite& suite, Rng& rng) {
  ScheduledFault fault;
  fault.start = start;
  fault.end = std::min(start + duration, suite.duration);
  fault.spec = t.spec;
  fault.where = t.where;
  auto targets = select_targets(t.targets, suite.cluster.nodes, rng);
  if (fault.kind() == "partition") {
    auto grudge = compute_grudge(t.spec, targets, suite.cluster.nodes, rng);
    if (!grudge) return grudge.error().with_context(t.where);
    fault.grudge = *grudge;
    for (const auto& node : suite.cluster.nodes)
      if (fault.grudge.count(node)) fault.targets.push_back(node);
  } else {
    fault.targets = targets;
  }
  return fault;
}

}  // namespace

Result<std::vector<ScheduledFault>> build_schedule(const Suite& suite) {
  std::vector<std::pair<std::size_t, ScheduledFault>> faults;  // (entry index, fault)
  for (std::size_t e = 0; e < suite.nemesis.schedule.size(); ++e) {
    const auto& entry = suite.nemesis.schedule[e];
    Rng rng(entry.seed ? *entry.seed : suite.nemesis.seed + 1000003ULL * (e + 1));
    const Nanos until = std::min(entry.until.value_or(suite.duration), suite.duration);
    switch (entry.kind) {
      case ScheduleEntry::Kind::kAt: {
        auto f = instantiate(entry.fault, entry.at, entry.fault.duration, suite, rng);
        if (!f) return f.error();
        faults.emplace_back(e, std::move(*f));
        break;
      }
      case ScheduleEntry::Kind::kEvery: {
        Nanos t = entry.from > 0 ? entry.from : entry.every;
        for (; t < until; t += entry.every) {
          auto f = instantiate(entry.fault, t, entry.fault.duration, suite, rng);
          if (!f) return f.error();
          faults.emplace_back(e, std::move(*f));
        }
        break;
      }
      case ScheduleEntry::Kind::kRandom: {
        Nanos t = entry.from;
        while (true) {
          t += rng.between(entry.gap_min, entry.gap_max);
          if (t >= until) break;
          const auto& package = entry.packages[rng.below(entry.packages.size())];
          const auto& variant = package.variants[rng.below(package.variants.size())];
          Nanos duration = rng.between(entry.duration_min, entry.duration_max);
          auto f = instantiate(variant, t, duration, suite, rng);
          if (!f) return f.error();
          t = f->end;
          faults.emplace_back(e, std::move(*f));
        }
        break;
      }
    }
  }
  std::stable_sort(faults.begin(), faults.end(), [](const auto& a, const auto& b) {
    return a.second.start != b.second.start ? a.second.start < b.second.start : a.first < b.first;
  });
  std::vector<ScheduledFault> out;
  for (auto& [entry, fault] : faults) {
    if (fault.targets.empty()) continue;  // e.g. a partition that cuts nothing
    fault.id = fmt::format("f{}", out.size() + 1);
    out.push_back(std::move(fault));
  }
  return out;
}

Result<std::vector<ScheduledFault>> fit_schedule(std::vector<ScheduledFault> faults, const Suite& suite) {
  const auto& nodes = suite.cluster.nodes;
  auto known = [&](const std::string& n) { return std::find(nodes.begin(), nodes.end(), n) != nodes.end(); };
  for (auto& f : faults) {
    if (!faults::is_known_fault_kind(f.kind()))
      return invalid_input(fmt::format("fault {}: unknown fault kind '{}'", f.id, f.kind()));
    if (f.targets.empty()) return invalid_input(fmt::format("fault {} ({}): no targets", f.id, f.kind()));
    for (const auto& t : f.targets)
      if (!known(t)) return invalid_input(fmt::format("fault {} ({}): '{}' is not a node of the suite's cluster", f.id, f.kind(), t));
    for (const auto& [node, dropped] : f.grudge) {
      if (!known(node)) return invalid_input(fmt::format("fault {}: grudge node '{}' is not a node of the suite's cluster", f.id, node));
      for (const auto& d : dropped)
        if (!known(d)) return invalid_input(fmt::format("fault {}: grudge node '{}' is not a node of the suite's cluster", f.id, d));
    }
    if (f.kind() == "partition" && f.grudge.empty())
      return invalid_input(fmt::format("fault {}: a partition without its grudge", f.id));
    if (f.start < 0 || f.start >= suite.duration)
      return invalid_input(fmt::format("fault {} ({}) starts at {}, outside the suite's duration {} (--set duration=...)",
                                       f.id, f.kind(), format_duration(f.start), format_duration(suite.duration)));
    f.end = std::clamp(f.end, f.start, suite.duration);
  }
  std::stable_sort(faults.begin(), faults.end(), [](const auto& a, const auto& b) { return a.start < b.start; });
  return faults;
}

std::vector<std::string> schedule_kinds(const std::vector<ScheduledFault>& schedule) {
  std::set<std::string> kinds;
  for (const auto& f : schedule) kinds.insert(f.kind());
  return {kinds.begin(), kinds.end()};
}

std::vector<std::string> possible_kinds(const Suite& suite) {
  std::set<std::string> kinds;
  for (const auto& entry : suite.nemesis.schedule) {
    if (entry.kind != ScheduleEntry::Kind::kRandom) {
      kinds.insert(entry.fault.spec.value("kind", std::string()));
      continue;
    }
    for (const auto& package : entry.packages)
      for (const auto& v : package.variants) kinds.insert(v.spec.value("kind", std::string()));
  }
  return {kinds.begin(), kinds.end()};
}

}  // namespace faultline::controller
