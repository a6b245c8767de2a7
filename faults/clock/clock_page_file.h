// ClockPageFile: the writer side of the per-process clock page (clock_page.h).
//
// Contract:
//  - open() creates the page file as an identity page when it is missing (or
//    empty) and maps it; an existing file of another size or magic is an
//    error naming the path. The file is never truncated or replaced, so SUTs
//    that map it keep seeing updates.
//  - add()/remove() change the set of active clock faults and republish the
//    slot maps under flock(LOCK_EX) and the seqlock, so several mechanisms and
//    processes may write concurrently and readers never see a torn update.
//    Both are idempotent per fault id (adding an active id or removing an
//    absent one changes nothing), which makes apply/heal idempotent.
//  - Semantics at the moment of a change (t = true time of each slot, F = the
//    fake time the slot shows at t):
//      skew d   : the slot continues from F + d, same rate;
//      drift r  : the slot continues from F at rate r (rates of several drifts multiply);
//      stop     : the slot freezes at F (rate 0);
//      remove   : realtime returns to t + the remaining skews (a jump in
//                 either direction, as a real NTP step would); monotonic and
//                 boottime continue from max(F, t + folded + remaining skews),
//                 where folded is the offset earlier heals left behind: an
//                 offset gained by skew/drift is folded in and kept, time lost
//                 to a stop or slow drift is caught up, so these clocks never
//                 go backwards. With no fault left, realtime is exactly true
//                 time again.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

#include "common/result.h"
#include "faults/clock/clock_page.h"

namespace faultline::faults::clock {

// Path of the page inside the agent's state directory.
std::filesystem::path clock_page_path(const std::filesystem::path& state_dir);

struct ClockFaultEntry {
  std::string id;
  ActiveKind kind = kSkew;
  int slots = 1 << kRealtime;  // bit per ClockSlot
  std::int64_t value = 0;      // skew: offset ns; drift: rate_ppb
};

class ClockPageFile {
 public:
  static Result<ClockPageFile> open(const std::filesystem::path& path);
  ClockPageFile(ClockPageFile&& other) noexcept;
  ClockPageFile& operator=(ClockPageFile&&) = delete;
  ClockPageFile(const ClockPageFile&) = delete;
  ~ClockPageFile();

  Result<void> add(const ClockFaultEntry& entry);
  Result<void> remove(const std::string& id);
  bool active(const std::string& id) const;

  // The snapshot readers would see now.
  void snapshot(ClockMap out[kSlotCount]) const;
  const std::filesystem::path& path() const { return path_; }
  ClockPage* page() { return page_; }

 private:
  ClockPageFile(std::filesystem::path path, int fd, ClockPage* page) : path_(std::move(path)), fd_(fd), page_(page) {}
  std::filesystem::path path_;
  int fd_ = -1;
  ClockPage* page_ = nullptr;
};

// The true reading of a slot's clock (REALTIME, MONOTONIC, BOOTTIME).
std::int64_t true_slot_now(int slot);

}  // namespace faultline::faults::clock
