// ClockPage: the shared-memory page through which the agent steers the
// per-process clock of the SUT (libfaultline_clock.so, faults/clock/preload/).
//
// Contract:
//  - The page is a file (the agent uses <state-dir>/clock.shm and passes its
//    path to the SUT in env FAULTLINE_CLOCK_SHM), exactly sizeof(ClockPage)
//    bytes, created once and never truncated or replaced while a SUT maps it.
//  - It holds one linear map per clock slot (realtime, monotonic, boottime):
//        fake(t) = anchor_fake + (t - anchor_true) * rate_ppb / 1e9
//    where t is the true reading of that clock. rate_ppb = 1e9 is true speed,
//    0 is a stopped clock. A fresh page is the identity on every slot.
//  - One writer at a time (writers take flock(LOCK_EX) on the file); readers
//    never block the writer. A seqlock (odd sequence = write in progress)
//    guarantees readers never see a torn update: read_clock_params() returns
//    a snapshot written by exactly one complete update.
//  - Everything here is header-only, lock-free and allocation-free, so the
//    preload library can use it from inside clock_gettime().
// The layout is versioned (kClockPageVersion); a reader that finds another
// magic or version treats the page as absent (true time).
#pragma once

#include <atomic>
#include <cstdint>

namespace faultline::faults::clock {

inline constexpr std::uint32_t kClockPageMagic = 0x464c434bu;  // "FLCK"
inline constexpr std::uint32_t kClockPageVersion = 1;
inline constexpr std::int64_t kRateOne = 1'000'000'000;  // rate_ppb of true speed
inline constexpr char kClockShmEnv[] = "FAULTLINE_CLOCK_SHM";

enum ClockSlot : int { kRealtime = 0, kMonotonic = 1, kBoottime = 2, kSlotCount = 3 };

// One clock's linear map. All fields are atomics so concurrent access is
// well defined; the seqlock makes a set of them consistent.
struct ClockSlotParams {
  std::atomic<std::int64_t> anchor_true{0};
  std::atomic<std::int64_t> anchor_fake{0};
  std::atomic<std::int64_t> rate_ppb{kRateOne};
};

// Plain copy of one slot, as readers use it.
struct ClockMap {
  std::int64_t anchor_true = 0;
  std::int64_t anchor_fake = 0;
  std::int64_t rate_ppb = kRateOne;

  bool identity() const { return anchor_true == anchor_fake && rate_ppb == kRateOne; }
  std::int64_t apply(std::int64_t t) const {
    if (identity()) return t;
    __int128 scaled = static_cast<__int128>(t - anchor_true) * rate_ppb / kRateOne;
    return anchor_fake + static_cast<std::int64_t>(scaled);
  }
};

// The writer-side bookkeeping of the active faults, kept in the page so a
// fresh mechanism instance (after an agent restart) can heal from its record
// and the page alone. Readers ignore it.
inline constexpr int kMaxActiveFaults = 32;
enum ActiveKind : std::int32_t { kFree = 0, kSkew = 1, kDrift = 2, kStop = 3 };
struct ActiveFault {
  char id[40];             // fault id, NUL-terminated
  std::int32_t kind;       // ActiveKind
  std::int32_t slots;      // bit per ClockSlot the fault applies to
  std::int64_t value;      // skew: offset ns; drift: rate_ppb; stop: unused
};

struct ClockPage {
  std::atomic<std::uint32_t> magic{kClockPageMagic};
  std::atomic<std::uint32_t> version{kClockPageVersion};
  std::atomic<std::uint64_t> sequence{0};  // seqlock: odd while a write is in progress
  ClockSlotParams slots[kSlotCount];
  // Writer-only (under flock); not covered by the seqlock.
  ActiveFault active[kMaxActiveFaults];
  // Offset folded into monotonic/boottime by healed faults (never undone, so
  // they never go backwards); "true time" for these slots is t + folded.
  std::int64_t folded[kSlotCount];
};

// Seqlock read: a consistent snapshot of all slots. Returns false when the
// page is not a valid page of this version (callers then use true time).
inline bool read_clock_params(const ClockPage* page, ClockMap out[kSlotCount]) {
  if (page->magic.load(std::memory_order_relaxed) != kClockPageMagic ||
      page->version.load(std::memory_order_relaxed) != kClockPageVersion)
    return false;
  for (;;) {
    std::uint64_t before = page->sequence.load(std::memory_order_acquire);
    if (before & 1u) {
#if defined(__x86_64__) || defined(__i386__)
      __builtin_ia32_pause();
#endif
      continue;
    }
    for (int i = 0; i < kSlotCount; ++i) {
      out[i].anchor_true = page->slots[i].anchor_true.load(std::memory_order_relaxed);
      out[i].anchor_fake = page->slots[i].anchor_fake.load(std::memory_order_relaxed);
      out[i].rate_ppb = page->slots[i].rate_ppb.load(std::memory_order_relaxed);
    }
    std::atomic_thread_fence(std::memory_order_acquire);
    if (page->sequence.load(std::memory_order_relaxed) == before) return true;
  }
}

// Seqlock write (caller holds the writer lock): publishes all slots at once.
inline void write_clock_params(ClockPage* page, const ClockMap in[kSlotCount]) {
  std::uint64_t seq = page->sequence.load(std::memory_order_relaxed);
  page->sequence.store(seq + 1, std::memory_order_relaxed);
  std::atomic_thread_fence(std::memory_order_release);
  for (int i = 0; i < kSlotCount; ++i) {
    page->slots[i].anchor_true.store(in[i].anchor_true, std::memory_order_relaxed);
    page->slots[i].anchor_fake.store(in[i].anchor_fake, std::memory_order_relaxed);
    page->slots[i].rate_ppb.store(in[i].rate_ppb, std::memory_order_relaxed);
  }
  page->sequence.store(seq + 2, std::memory_order_release);
}

}  // namespace faultline::faults::clock
