#include "checkers/ground_truth.h"

#include <algorithm>
#include <utility>

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
  // Directed links: x -> y works while both are up and y does not drop x's
  // packets. A one-way grudge (a drops b, b does not drop a) breaks b -> a
  // only. Observer and subject can reach each other when each has a path to
  // the other (possibly through third nodes: indirect probes, gossip): the
  // strongly connected components of the working links (Kosaraju). With
  // two-way grudges these are the connected components of two-way links.
  const int n = nodes_.size();
  const auto at = [n](int x, int y) { return static_cast<std::size_t>(x) * static_cast<std::size_t>(n) + y; };
  std::vector<char> drop(static_cast<std::size_t>(n) * n, 0);
  for (const auto& [id, a] : active_)
    for (auto [x, y] : a.drops)
      if (x >= 0 && y >= 0) drop[at(x, y)] = 1;  // x drops what y sends: y -> x broken
  auto works = [&](int x, int y) { return x != y && up(x) && up(y) && !drop[at(y, x)]; };
  std::vector<int> order;
  std::vector<char> seen(static_cast<std::size_t>(n), 0);
  for (int start = 0; start < n; ++start) {  // first pass: finish order on x -> y
    if (seen[start]) continue;
    std::vector<std::pair<int, int>> stack{{start, 0}};
    seen[start] = 1;
    while (!stack.empty()) {
      auto& [x, next] = stack.back();
      if (next < n) {
        int y = next++;
        if (!seen[y] && works(x, y)) {
          seen[y] = 1;
          stack.push_back({y, 0});
        }
      } else {
        order.push_back(x);
        stack.pop_back();
      }
    }
  }
  std::fill(component_.begin(), component_.end(), -1);
  for (auto it = order.rbegin(); it != order.rend(); ++it) {  // second pass on y -> x
    if (component_[static_cast<std::size_t>(*it)] >= 0) continue;
    std::vector<int> stack{*it};
    component_[static_cast<std::size_t>(*it)] = *it;
    while (!stack.empty()) {
      int y = stack.back();
      stack.pop_back();
      for (int x = 0; x < n; ++x)
        if (component_[static_cast<std::size_t>(x)] < 0 && works(x, y)) {
          component_[static_cast<std::size_t>(x)] = *it;
          stack.push_back(x);
        }
    }
  }
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
