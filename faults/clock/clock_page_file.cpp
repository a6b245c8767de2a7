#include "faults/clock/clock_page_file.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <new>

#include <fmt/format.h>

namespace faultline::faults::clock {
namespace {

std::string errno_text() { return std::strerror(errno); }

class FileLock {
 public:
  explicit FileLock(int fd) : fd_(fd) { while (::flock(fd_, LOCK_EX) != 0 && errno == EINTR) {} }
  ~FileLock() { ::flock(fd_, LOCK_UN); }
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;

 private:
  int fd_;
};

void read_maps(const ClockPage* page, ClockMap maps[kSlotCount]) {
  if (!read_clock_params(page, maps))
    for (int i = 0; i < kSlotCount; ++i) maps[i] = ClockMap{};
}

// Rate of a slot given the active faults: 0 when stopped, else the product of drifts.
std::int64_t effective_rate(const ClockPage* page, int slot) {
  __int128 rate = kRateOne;
  for (const auto& f : page->active) {
    if (f.kind == kFree || !(f.slots & (1 << slot))) continue;
    if (f.kind == kStop) return 0;
    if (f.kind == kDrift) rate = rate * f.value / kRateOne;
  }
  return static_cast<std::int64_t>(rate);
}

std::int64_t remaining_skew(const ClockPage* page, int slot) {
  std::int64_t sum = 0;
  for (const auto& f : page->active)
    if (f.kind == kSkew && (f.slots & (1 << slot))) sum += f.value;
  return sum;
}

}  // namespace

std::filesystem::path clock_page_path(const std::filesystem::path& state_dir) { return state_dir / "clock.shm"; }

std::int64_t true_slot_now(int slot) {
  clockid_t id = slot == kRealtime ? CLOCK_REALTIME : slot == kMonotonic ? CLOCK_MONOTONIC : CLOCK_BOOTTIME;
  timespec ts{};
  ::clock_gettime(id, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

Result<ClockPageFile> ClockPageFile::open(const std::filesystem::path& path) {
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return io_error(fmt::format("clock page {}: cannot open: {}", path.string(), errno_text()));
  auto fail = [&](Error e) {
    ::close(fd);
    return e;
  };
  FileLock lock(fd);
  struct stat st {};
  if (::fstat(fd, &st) != 0) return fail(io_error(fmt::format("clock page {}: {}", path.string(), errno_text())));
  bool fresh = st.st_size == 0;
  if (!fresh && st.st_size != static_cast<off_t>(sizeof(ClockPage)))
    return fail(invalid_input(fmt::format("clock page {}: size {} is not a faultline clock page ({} bytes)",
                                          path.string(), st.st_size, sizeof(ClockPage))));
  if (fresh && ::ftruncate(fd, sizeof(ClockPage)) != 0)
    return fail(io_error(fmt::format("clock page {}: cannot size: {}", path.string(), errno_text())));
  void* mem = ::mmap(nullptr, sizeof(ClockPage), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (mem == MAP_FAILED) return fail(io_error(fmt::format("clock page {}: mmap: {}", path.string(), errno_text())));
  auto* page = static_cast<ClockPage*>(mem);
  if (fresh) {
    // The file is zeros: magic 0 makes readers use true time until it is valid.
    for (auto& slot : page->slots) {
      slot.anchor_true.store(0);
      slot.anchor_fake.store(0);
      slot.rate_ppb.store(kRateOne);
    }
    std::memset(page->active, 0, sizeof(page->active));
    std::memset(page->folded, 0, sizeof(page->folded));
    page->version.store(kClockPageVersion);
    page->magic.store(kClockPageMagic, std::memory_order_release);
    ::fsync(fd);
  } else if (page->magic.load() != kClockPageMagic || page->version.load() != kClockPageVersion) {
    ::munmap(mem, sizeof(ClockPage));
    return fail(invalid_input(fmt::format("clock page {}: not a faultline clock page of version {}", path.string(),
                                          kClockPageVersion)));
  }
  return ClockPageFile(path, fd, page);
}

ClockPageFile::ClockPageFile(ClockPageFile&& other) noexcept
    : path_(std::move(other.path_)), fd_(other.fd_), page_(other.page_) {
  other.fd_ = -1;
  other.page_ = nullptr;
}

ClockPageFile::~ClockPageFile() {
  if (page_) ::munmap(page_, sizeof(ClockPage));
  if (fd_ >= 0) ::close(fd_);
}

bool ClockPageFile::active(const std::string& id) const {
  for (const auto& f : page_->active)
    if (f.kind != kFree && id == f.id) return true;
  return false;
}

void ClockPageFile::snapshot(ClockMap out[kSlotCount]) const { read_maps(page_, out); }

Result<void> ClockPageFile::add(const ClockFaultEntry& entry) {
  if (entry.id.empty() || entry.id.size() >= sizeof(ActiveFault::id))
    return invalid_input(fmt::format("clock fault id '{}' must be 1..{} characters", entry.id,
                                     sizeof(ActiveFault::id) - 1));
  FileLock lock(fd_);
  if (active(entry.id)) return ok_result();
  ActiveFault* free_entry = nullptr;
  for (auto& f : page_->active)
    if (f.kind == kFree) {
      free_entry = &f;
      break;
    }
  if (!free_entry)
    return unavailable(fmt::format("clock page {}: more than {} clock faults at once", path_.string(), kMaxActiveFaults));

  ClockMap maps[kSlotCount];
  read_maps(page_, maps);
  std::int64_t now[kSlotCount];
  for (int s = 0; s < kSlotCount; ++s) now[s] = true_slot_now(s);

  std::memset(free_entry, 0, sizeof(*free_entry));
  std::memcpy(free_entry->id, entry.id.data(), entry.id.size());
  free_entry->slots = entry.slots;
  free_entry->value = entry.value;
  free_entry->kind = entry.kind;

  for (int s = 0; s < kSlotCount; ++s) {
    if (!(entry.slots & (1 << s))) continue;
    std::int64_t fake = maps[s].apply(now[s]);
    maps[s].anchor_true = now[s];
    maps[s].anchor_fake = entry.kind == kSkew ? fake + entry.value : fake;
    maps[s].rate_ppb = effective_rate(page_, s);
  }
  write_clock_params(page_, maps);
  ::msync(page_, sizeof(ClockPage), MS_SYNC);
  return ok_result();
}

Result<void> ClockPageFile::remove(const std::string& id) {
  FileLock lock(fd_);
  ActiveFault* found = nullptr;
  for (auto& f : page_->active)
    if (f.kind != kFree && id == f.id) found = &f;
  if (!found) return ok_result();
  int slots = found->slots;
  ClockMap maps[kSlotCount];
  read_maps(page_, maps);
  std::int64_t now[kSlotCount];
  for (int s = 0; s < kSlotCount; ++s) now[s] = true_slot_now(s);
  std::memset(found, 0, sizeof(*found));  // kind = kFree

  for (int s = 0; s < kSlotCount; ++s) {
    if (!(slots & (1 << s))) continue;
    std::int64_t fake = maps[s].apply(now[s]);
    std::int64_t skew = remaining_skew(page_, s);
    std::int64_t target = now[s] + page_->folded[s] + skew;
    maps[s].anchor_true = now[s];
    maps[s].anchor_fake = s == kRealtime ? target : std::max(fake, target);
    if (s != kRealtime) page_->folded[s] = maps[s].anchor_fake - now[s] - skew;
    maps[s].rate_ppb = effective_rate(page_, s);
  }
  write_clock_params(page_, maps);
  ::msync(page_, sizeof(ClockPage), MS_SYNC);
  return ok_result();
}

}  // namespace faultline::faults::clock
