// The cache of visited search configurations (linearized set, model state).
//
// Contract: insert(key, state, info) returns true when the configuration is
// new and records it; false when a recorded configuration with the same key
// and state has a linearized info set contained in `info` (the same one, or
// fewer), so it can already do everything this one can: the search then prunes
// this branch. Keys are compared exactly (the set's key words and State ==),
// the 64-bit hash only picks the bucket. bytes() estimates the memory held (table, keys, states'
// heap) so the search can enforce its memory bound. Open addressing with
// linear probing, grown at half load.
#pragma once

#include <cstdint>
#include <cstring>
#include <vector>

namespace faultline::checkers::linearizable {

inline std::uint64_t mix64(std::uint64_t x) {
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ULL;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebULL;
  x ^= x >> 31;
  return x;
}

inline std::uint64_t hash_words(const std::vector<std::uint32_t>& words) {
  std::uint64_t h = 0x9e3779b97f4a7c15ULL ^ words.size();
  for (std::uint32_t w : words) h = mix64(h ^ w) + 0x9e3779b97f4a7c15ULL;
  return h;
}

template <class State>
class StateCache {
 public:
  StateCache() : slots_(1024) {}

  // `state_bytes` is the heap size of `state` (for bytes()).
  template <class Subset>
  bool insert(const std::vector<std::uint32_t>& key, std::uint64_t hash, const State& state, std::size_t state_bytes,
              std::uint32_t info, const Subset& subset) {
    if ((entries_.size() + 1) * 2 > slots_.size()) grow();
    std::size_t mask = slots_.size() - 1;
    for (std::size_t i = hash & mask;; i = (i + 1) & mask) {
      Slot& slot = slots_[i];
      if (slot.entry == 0) {
        slot.hash = hash;
        slot.entry = static_cast<std::uint32_t>(entries_.size() + 1);
        entries_.push_back(Entry{static_cast<std::uint32_t>(keys_.size()), static_cast<std::uint32_t>(key.size()),
                                 static_cast<std::uint32_t>(links_.size()), state});
        links_.push_back(Link{info, kEnd});
        keys_.insert(keys_.end(), key.begin(), key.end());
        state_heap_bytes_ += state_bytes;
        return true;
      }
      if (slot.hash != hash) continue;
      const Entry& e = entries_[slot.entry - 1];
      if (e.key_len == key.size() && std::memcmp(&keys_[e.key_offset], key.data(), key.size() * sizeof(std::uint32_t)) == 0 &&
          e.state == state) {
        // Compare with the most recent info sets only (bounded work; pruning
        // less is always sound, it only explores more).
        std::size_t compared = 0;
        for (std::uint32_t l = e.first_link; l != kEnd && compared < kMaxCompared; l = links_[l].next, ++compared)
          if (subset(links_[l].info, info)) return false;
        links_.push_back(Link{info, e.first_link});  // newest first
        entries_[slot.entry - 1].first_link = static_cast<std::uint32_t>(links_.size() - 1);
        return true;
      }
    }
  }

  std::size_t size() const { return links_.size(); }
  std::size_t bytes() const {
    return slots_.capacity() * sizeof(Slot) + entries_.capacity() * sizeof(Entry) +
           keys_.capacity() * sizeof(std::uint32_t) + links_.capacity() * sizeof(Link) + state_heap_bytes_;
  }

 private:
  struct Slot {
    std::uint64_t hash = 0;
    std::uint32_t entry = 0;  // index + 1; 0 = empty
  };
  static constexpr std::uint32_t kEnd = UINT32_MAX;
  static constexpr std::size_t kMaxCompared = 32;
  struct Entry {
    std::uint32_t key_offset;
    std::uint32_t key_len;
    std::uint32_t first_link;
    State state;
  };
  struct Link {  // the linearized info sets recorded for one (key, state)
    std::uint32_t info;
    std::uint32_t next;
  };

  void grow() {
    std::vector<Slot> bigger(slots_.size() * 2);
    std::size_t mask = bigger.size() - 1;
    for (const Slot& s : slots_) {
      if (s.entry == 0) continue;
      std::size_t i = s.hash & mask;
      while (bigger[i].entry != 0) i = (i + 1) & mask;
      bigger[i] = s;
    }
    slots_.swap(bigger);
  }

  std::vector<Slot> slots_;
  std::vector<Entry> entries_;
  std::vector<std::uint32_t> keys_;
  std::vector<Link> links_;
  std::size_t state_heap_bytes_ = 0;
};

}  // namespace faultline::checkers::linearizable
