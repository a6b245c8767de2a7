#include "controller/nemesis/selector.h"

#include <algorithm>
#include <set>

namespace faultline::controller {

std::vector<std::string> select_targets(const TargetSelector& selector, const std::vector<std::string>& nodes, Rng& rng) {
  const std::size_t n = nodes.size();
  std::size_t count = 0;
  switch (selector.kind) {
    case TargetSelector::Kind::kAll: return nodes;
    case TargetSelector::Kind::kList: {
      std::set<std::string> wanted(selector.nodes.begin(), selector.nodes.end());
      std::vector<std::string> out;
      for (const auto& node : nodes)
        if (wanted.count(node)) out.push_back(node);
      return out;
    }
    case TargetSelector::Kind::kOne: count = 1; break;
    case TargetSelector::Kind::kMinority: count = std::max<std::size_t>(1, (n - 1) / 2); break;
    case TargetSelector::Kind::kMajority: count = n / 2 + 1; break;
  }
  count = std::min(count, n);
  std::vector<std::size_t> order(n);
  for (std::size_t i = 0; i < n; ++i) order[i] = i;
  rng.shuffle(order);
  order.resize(count);
  std::sort(order.begin(), order.end());
  std::vector<std::string> out;
  for (auto i : order) out.push_back(nodes[i]);
  return out;
}

}  // namespace faultline::controller
