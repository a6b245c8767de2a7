#include "checkers/ground_truth.h"

#include <numeric>

#include <fmt/format.h>

namespace faultline::checkers {

int NodeIndex::add(const std::string& name) {
  auto [it, inserted] = ids_.try_emplace(name, static_cast<int>(names_.size()));
  if (inserted) names_.push_back(name);
  return it->second;
}

int NodeIndex::find(const std::string& name) const {
  auto it = ids_.find(name);
  return it == ids_.end() ? -1 : it->second;
}

std::vector<std::string> default_degraded_kinds() {
  return {"delay", "loss", "bandwidth", "reorder", "duplicate", "corrupt", "blackhole-out", "cpu-throttle"};
}

GroundTruth::GroundTruth(const NodeIndex& nodes, std::set<std::string> degraded_kinds)
    : nodes_(nodes), degraded_kinds_(std::move(degraded_kinds)) {
  down_.assign(static_cast<std::size_t>(nodes.size()), 0);
  component_.assign(static_cast<std::size_t>(nodes.size()), 0);
}

void GroundTruth::apply(const history::Event& event) {
  restarted_.clear();
  const auto& f = std::get<history::FaultEvent>(event.body);
  if (f.phase == history::FaultEvent::Phase::kStart) {
    if (active_.count(f.id)) {
      warnings_.push_back(fmt::format("line {}: fault {} started twice; the second start is ignored", event.line, f.id));
      return;
    }
    Active a;
    a.kind = f.kind();
    for (const auto& t : f.targets) a.targets.push_back(nodes_.find(t));
    if (a.kind == "kill" || a.kind == "pause") {
      for (int t : a.targets)
        if (t >= 0) ++down_[static_cast<std::size_t>(t)];
    } else if (a.kind == "partition") {
      if (f.grudge.empty()) {
        a.degraded = true;
        warnings_.push_back(fmt::format("line {}: partition {} has no grudge; its pairs are judged as degraded",
                                        event.line, f.id));
      }
      for (const auto& [node, dropped] : f.grudge) {
        int a_id = nodes_.find(node);
        for (const auto& d : dropped) a.drops.emplace_back(a_id, nodes_.find(d));
      }
    } else if (degraded_kinds_.count(a.kind)) {
      a.degraded = true;
    }
    active_.emplace(f.id, std::move(a));
  } else {
    auto it = active_.find(f.id);
    if (it == active_.end()) {
      warnings_.push_back(fmt::format("line {}: fault {} ends but never started; ignored", event.line, f.id));
      return;
    }
    const Active& a = it->second;
    if (a.kind == "kill" || a.kind == "pause") {
      for (int t : a.targets) {
        if (t < 0) continue;
        --down_[static_cast<std::size_t>(t)];
        if (a.kind == "kill" && down_[static_cast<std::size_t>(t)] == 0) restarted_.push_back(t);
      }
    }
    active_.erase(it);
  }
  recompute();
}

void GroundTruth::recompute() {
  const int n = nodes_.size();
  std::vector<char> drop(static_cast<std::size_t>(n) * n, 0);
  for (const auto& [id, a] : active_)
    for (auto [x, y] : a.drops)
      if (x >= 0 && y >= 0) drop[static_cast<std::size_t>(x) * n + y] = 1;
  // Union-find over up nodes joined by two-way links.
  std::vector<int> parent(static_cast<std::size_t>(n));
  std::iota(parent.begin(), parent.end(), 0);
  auto root = [&](int x) {
    while (parent[x] != x) x = parent[x] = parent[parent[x]];
    return x;
  };
  for (int a = 0; a < n; ++a) {
    if (!up(a)) continue;
    for (int b = a + 1; b < n; ++b) {
      if (!up(b) || drop[static_cast<std::size_t>(a) * n + b] || drop[static_cast<std::size_t>(b) * n + a]) continue;
      parent[root(a)] = root(b);
    }
  }
  for (int a = 0; a < n; ++a) component_[static_cast<std::size_t>(a)] = root(a);
}

bool GroundTruth::affects(const Active& fault, int a, int b) const {
  if (fault.targets.empty()) return true;
  for (int t : fault.targets)
    if (t == a || t == b) return true;
  return false;
}

std::string GroundTruth::degraded_by(int observer, int subject) const {
  for (const auto& [id, a] : active_)
    if (a.degraded && affects(a, observer, subject)) return fmt::format("{} ({})", id, a.kind);
  return "";
}

std::string GroundTruth::why_unreachable(int observer, int subject) const {
  std::string out;
  for (const auto& [id, a] : active_) {
    if (a.kind == "kill" || a.kind == "pause") {
      for (int t : a.targets)
        if (t == subject || t == observer) out += fmt::format("{}{} {} by {}", out.empty() ? "" : "; ",
                                                              nodes_.name(t), a.kind == "kill" ? "killed" : "paused", id);
    } else if (!a.drops.empty()) {
      out += fmt::format("{}partition {}", out.empty() ? "" : "; ", id);
    }
  }
  return out.empty() ? "unreachable" : out;
}

}  // namespace faultline::checkers
