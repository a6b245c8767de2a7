// TimerWheel<T>: where the shaper holds packets until their due time.
//
// Contract: schedule(due, value) is O(1); expire(now, fn) calls fn(due, value)
// for every entry with due <= now, in (due, scheduling order) order, and
// removes them; next_due() is the exact earliest due time of any entry (or
// nullopt when empty), so the shaper thread sleeps precisely until it.
// Entries scheduled in the past fire on the next expire().
//
// Why a hashed timer wheel (Varghese & Lauck's scheme 6, as in Netty's
// HashedWheelTimer and the kernel's timer wheel) rather than a min-heap: the
// shaper inserts one entry per packet at up to ~100k packets/s, and a heap
// pays O(log n) per insert and per pop and moves entries on every operation;
// the wheel appends to a slot (O(1), no allocation once slot vectors have
// grown) and expiry only touches the slots whose ticks have passed. A bitmap
// of non-empty slots finds the next due slot with a few word scans. Entries
// beyond one revolution (slots * tick) stay in their slot until their round
// comes; fire times are exact (not rounded to the tick) because expire()
// compares each entry's own due time. Not thread-safe: one shaper thread owns it.
#pragma once

#include <algorithm>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <utility>
#include <vector>

#include "common/units.h"

namespace faultline::faults::shaper {

template <class T>
class TimerWheel {
 public:
  // tick: the time one slot covers; slots is rounded up to a power of two >= 64.
  explicit TimerWheel(Nanos tick = 250'000, std::size_t slots = 4096, Nanos start = 0)
      : tick_(tick),
        slots_(std::bit_ceil(std::max<std::size_t>(slots, 64))),
        bitmap_(slots_.size() / 64, 0),
        current_tick_(start / tick) {}

  std::size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }

  void schedule(Nanos due, T value) {
    std::int64_t t = std::max<std::int64_t>(due / tick_, current_tick_);
    std::size_t slot = static_cast<std::size_t>(t) & (slots_.size() - 1);
    slots_[slot].push_back(Entry{due, sequence_++, std::move(value)});
    bitmap_[slot / 64] |= std::uint64_t{1} << (slot % 64);
    ++size_;
  }

  template <class Fn>
  std::size_t expire(Nanos now, Fn&& fn) {
    std::int64_t target = now / tick_;
    std::int64_t span = std::min<std::int64_t>(target - current_tick_ + 1,
                                               static_cast<std::int64_t>(slots_.size()));
    batch_.clear();
    for (std::int64_t i = 0; i < span && size_ > batch_.size(); ++i) {
      std::size_t slot = static_cast<std::size_t>(current_tick_ + i) & (slots_.size() - 1);
      if (!(bitmap_[slot / 64] & (std::uint64_t{1} << (slot % 64)))) continue;
      auto& entries = slots_[slot];
      auto keep = std::stable_partition(entries.begin(), entries.end(),
                                        [now](const Entry& e) { return e.due > now; });
      for (auto it = keep; it != entries.end(); ++it) batch_.push_back(std::move(*it));
      entries.erase(keep, entries.end());
      if (entries.empty()) bitmap_[slot / 64] &= ~(std::uint64_t{1} << (slot % 64));
    }
    if (target > current_tick_) current_tick_ = target;
    std::sort(batch_.begin(), batch_.end(), [](const Entry& a, const Entry& b) {
      return a.due != b.due ? a.due < b.due : a.sequence < b.sequence;
    });
    size_ -= batch_.size();
    for (auto& entry : batch_) fn(entry.due, std::move(entry.value));
    std::size_t fired = batch_.size();
    batch_.clear();
    return fired;
  }

  std::optional<Nanos> next_due() const {
    if (size_ == 0) return std::nullopt;
    const std::size_t n = slots_.size();
    std::optional<Nanos> best;
    // Walk non-empty slots in tick order for one revolution; the first slot
    // holding an entry of its own round gives the answer. Entries of later
    // rounds are remembered as the fallback.
    std::size_t start = static_cast<std::size_t>(current_tick_) & (n - 1);
    for (std::size_t visited = 0; visited < n;) {
      std::size_t slot = (start + visited) & (n - 1);
      std::uint64_t word = bitmap_[slot / 64] >> (slot % 64);
      if (word == 0) {
        visited += 64 - slot % 64;
        continue;
      }
      std::size_t skip = static_cast<std::size_t>(std::countr_zero(word));
      visited += skip;
      if (visited >= n) break;
      slot = (start + visited) & (n - 1);
      Nanos slot_end = (current_tick_ + static_cast<std::int64_t>(visited) + 1) * tick_;
      std::optional<Nanos> in_round;
      for (const auto& e : slots_[slot]) {
        if (e.due < slot_end) in_round = in_round ? std::min(*in_round, e.due) : e.due;
        else best = best ? std::min(*best, e.due) : e.due;
      }
      if (in_round) return in_round;
      ++visited;
    }
    return best;
  }

 private:
  struct Entry {
    Nanos due;
    std::uint64_t sequence;
    T value;
  };
  Nanos tick_;
  std::vector<std::vector<Entry>> slots_;
  std::vector<std::uint64_t> bitmap_;
  std::vector<Entry> batch_;
  std::int64_t current_tick_;
  std::uint64_t sequence_ = 0;
  std::size_t size_ = 0;
};

}  // namespace faultline::faults::shaper
