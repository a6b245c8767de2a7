#include "controller/nemesis/partition.h"

#include <algorithm>
#include <set>

#include <fmt/format.h>

namespace faultline::controller {
namespace {

using Drops = std::map<std::string, std::set<std::string>>;

void cut(Drops& drops, const std::string& a, const std::string& b) {
  if (a == b) return;
  drops[a].insert(b);
  drops[b].insert(a);
}

// One way only: `a` drops what `b` sends.
void drop_from(Drops& drops, const std::string& a, const std::string& b) {
  if (a != b) drops[a].insert(b);
}

void cut_groups(Drops& drops, const std::vector<std::string>& left, const std::vector<std::string>& right) {
  for (const auto& a : left)
    for (const auto& b : right) cut(drops, a, b);
}

}  // namespace

Result<Grudge> compute_grudge(const nlohmann::json& spec, const std::vector<std::string>& targets,
                              const std::vector<std::string>& nodes, Rng& rng) {
  std::string mode = spec.value("mode", std::string("halves"));
  const std::string direction = spec.value("direction", std::string("both"));
  if (direction != "both" && direction != "in" && direction != "out")
    return invalid_input(fmt::format("unknown partition direction '{}' (both, in, out)", direction));
  if (direction != "both" && mode != "isolate")
    return invalid_input(fmt::format("partition direction '{}' needs mode isolate (mode {} cuts both ways; a grudge "
                                     "is one-way as written)", direction, mode));
  Drops drops;
  if (mode == "isolate") {
    for (const auto& t : targets)
      for (const auto& other : nodes) {
        if (direction == "both") cut(drops, t, other);
        else if (direction == "in") drop_from(drops, t, other);  // t hears nobody, still sends
        else drop_from(drops, other, t);                         // nobody hears t, t still hears them
      }
  } else if (mode == "halves") {
    auto shuffled = targets;
    rng.shuffle(shuffled);
    std::size_t half = shuffled.size() / 2;
    cut_groups(drops, {shuffled.begin(), shuffled.begin() + half}, {shuffled.begin() + half, shuffled.end()});
  } else if (mode == "majority-ring") {
    auto ring = targets;
    rng.shuffle(ring);
    const std::size_t n = ring.size();
    const std::size_t majority = n / 2 + 1;
    const std::size_t reach = majority / 2;  // neighbours seen on each side
    for (std::size_t i = 0; i < n; ++i)
      for (std::size_t j = 0; j < n; ++j) {
        std::size_t d = i > j ? i - j : j - i;
        d = std::min(d, n - d);
        if (d > reach) cut(drops, ring[i], ring[j]);
      }
  } else if (mode == "bridge") {
    auto shuffled = targets;
    rng.shuffle(shuffled);
    if (shuffled.size() >= 3) {
      std::size_t bridge = shuffled.size() / 2;
      cut_groups(drops, {shuffled.begin(), shuffled.begin() + bridge}, {shuffled.begin() + bridge + 1, shuffled.end()});
    }
  } else if (mode == "grudge") {
    if (!spec.contains("grudge") || !spec["grudge"].is_object()) return invalid_input("partition mode grudge needs a 'grudge' map");
    // As written: one-way (node drops what the listed nodes send it).
    for (auto& [node, dropped] : spec["grudge"].items())
      for (auto& other : dropped)
        if (node != other.get<std::string>()) drops[node].insert(other.get<std::string>());
  } else {
    return invalid_input(fmt::format("unknown partition mode '{}'", mode));
  }
  Grudge grudge;
  for (const auto& node : nodes) {
    auto it = drops.find(node);
    if (it == drops.end() || it->second.empty()) continue;
    auto& list = grudge[node];
    for (const auto& other : nodes)
      if (it->second.count(other)) list.push_back(other);
  }
  return grudge;
}

std::map<std::string, nlohmann::json> partition_specs(const Grudge& grudge,
                                                      const std::map<std::string, std::string>& addresses,
                                                      const nlohmann::json& suite_spec) {
  auto drops = [&](const std::string& a, const std::string& b) {
    auto it = grudge.find(a);
    return it != grudge.end() && std::find(it->second.begin(), it->second.end(), b) != it->second.end();
  };
  std::map<std::string, nlohmann::json> specs;
  for (const auto& [node, dropped] : grudge) {
    if (dropped.empty()) continue;
    auto peers = nlohmann::json::array();
    bool mutual = true;
    for (const auto& other : dropped) {
      auto it = addresses.find(other);
      peers.push_back(it == addresses.end() ? other : it->second);
      mutual = mutual && drops(other, node);
    }
    specs[node] = {{"kind", "partition"}, {"peers", peers}};
    // Two-way pairs are cut on both ends (each end drops both ways, as
    // before); where a peer does not drop us, we drop only what it sends.
    if (!mutual) specs[node]["direction"] = "in";
    for (const char* field : {"keep_established", "ports", "protocol"})
      if (suite_spec.is_object() && suite_spec.contains(field)) specs[node][field] = suite_spec[field];
  }
  return specs;
}

}  // namespace faultline::controller
