#include "controller/shrink/ddmin.h"

#include <map>
#include <numeric>

namespace faultline::controller::shrink {
namespace {

std::vector<Subset> split(const Subset& set, std::size_t parts) {
  std::vector<Subset> chunks;
  std::size_t start = 0;
  for (std::size_t i = 0; i < parts; ++i) {
    std::size_t size = (set.size() - start) / (parts - i);
    chunks.emplace_back(set.begin() + static_cast<long>(start), set.begin() + static_cast<long>(start + size));
    start += size;
  }
  return chunks;
}

Subset without(const Subset& set, const Subset& chunk) {
  Subset out;
  std::size_t j = 0;
  for (auto item : set) {
    while (j < chunk.size() && chunk[j] < item) ++j;
    if (j < chunk.size() && chunk[j] == item) continue;
    out.push_back(item);
  }
  return out;
}

}  // namespace

Subset ddmin(std::size_t n, const SubsetTest& fails) {
  Subset current(n);
  std::iota(current.begin(), current.end(), 0);
  std::map<Subset, bool> asked;
  bool stopped = false;
  // true when `s` fails; asks each subset once.
  auto test = [&](const Subset& s) -> bool {
    if (stopped || s.empty() || s.size() == n) return false;
    if (auto it = asked.find(s); it != asked.end()) return it->second;
    auto answer = fails(s);
    if (!answer) {
      stopped = true;
      return false;
    }
    asked[s] = *answer;
    return *answer;
  };

  std::size_t granularity = 2;
  while (current.size() >= 2 && !stopped) {
    granularity = std::min(granularity, current.size());
    auto chunks = split(current, granularity);
    bool reduced = false;
    for (const auto& chunk : chunks)
      if (test(chunk)) {
        current = chunk;
        granularity = 2;
        reduced = true;
        break;
      }
    if (!reduced && granularity > 2)  // with two chunks the complements are the chunks
      for (const auto& chunk : chunks) {
        auto rest = without(current, chunk);
        if (test(rest)) {
          current = rest;
          granularity = std::max<std::size_t>(granularity - 1, 2);
          reduced = true;
          break;
        }
      }
    if (reduced) continue;
    if (granularity >= current.size()) break;
    granularity = std::min(granularity * 2, current.size());
  }
  return current;
}

}  // namespace faultline::controller::shrink
