// libfaultline_clock.so: overrides clock_gettime, gettimeofday and time so a
// process sees the clock the agent writes into the page named by env
// FAULTLINE_CLOCK_SHM (layout and seqlock in faults/clock/clock_page.h).
//
// Contract: with no env, a missing page, or an identity page, every call
// returns true time. REALTIME (and REALTIME_COARSE, gettimeofday, time) use
// the realtime slot; MONOTONIC and MONOTONIC_COARSE the monotonic slot;
// BOOTTIME the boottime slot; other clocks are untouched. A missing page is
// looked for again at most every 100 ms, so the SUT may start before the
// agent creates it. Monotonic and boottime readings are never lower than the
// highest reading this process has already returned for that clock.
#include <dlfcn.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <cstdlib>

#include "faults/clock/clock_page.h"

namespace {

using faultline::faults::clock::ClockMap;
using faultline::faults::clock::ClockPage;
using namespace faultline::faults::clock;

using ClockGettimeFn = int (*)(clockid_t, struct timespec*);

std::atomic<ClockGettimeFn> real_clock_gettime{nullptr};
std::atomic<const ClockPage*> page{nullptr};
std::atomic<std::int64_t> next_attempt_ns{0};
std::atomic<std::int64_t> highest[kSlotCount];

int raw_clock_gettime(clockid_t id, struct timespec* ts) {
  ClockGettimeFn fn = real_clock_gettime.load(std::memory_order_acquire);
  if (!fn) {
    fn = reinterpret_cast<ClockGettimeFn>(dlsym(RTLD_NEXT, "clock_gettime"));
    if (fn) real_clock_gettime.store(fn, std::memory_order_release);
  }
  if (fn) return fn(id, ts);
  return static_cast<int>(syscall(SYS_clock_gettime, id, ts));
}

std::int64_t to_ns(const struct timespec& ts) { return static_cast<std::int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec; }

void from_ns(std::int64_t ns, struct timespec* ts) {
  std::int64_t sec = ns / 1000000000, rem = ns % 1000000000;
  if (rem < 0) { rem += 1000000000; sec -= 1; }
  ts->tv_sec = static_cast<time_t>(sec);
  ts->tv_nsec = static_cast<long>(rem);
}

const ClockPage* current_page() {
  const ClockPage* p = page.load(std::memory_order_acquire);
  if (p) return p;
  const char* path = getenv(kClockShmEnv);
  if (!path || !*path) return nullptr;
  struct timespec now {};
  raw_clock_gettime(CLOCK_MONOTONIC, &now);
  std::int64_t now_ns = to_ns(now);
  std::int64_t due = next_attempt_ns.load(std::memory_order_relaxed);
  if (now_ns < due || !next_attempt_ns.compare_exchange_strong(due, now_ns + 100000000)) return nullptr;
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return nullptr;
  struct stat st {};
  void* mem = MAP_FAILED;
  if (fstat(fd, &st) == 0 && st.st_size == static_cast<off_t>(sizeof(ClockPage)))
    mem = mmap(nullptr, sizeof(ClockPage), PROT_READ, MAP_SHARED, fd, 0);
  close(fd);
  if (mem == MAP_FAILED) return nullptr;
  const ClockPage* expected = nullptr;
  if (!page.compare_exchange_strong(expected, static_cast<const ClockPage*>(mem))) {
    munmap(mem, sizeof(ClockPage));  // another thread won
    return expected;
  }
  return static_cast<const ClockPage*>(mem);
}

int slot_of(clockid_t id) {
  switch (id) {
    case CLOCK_REALTIME:
    case CLOCK_REALTIME_COARSE: return kRealtime;
    case CLOCK_MONOTONIC:
    case CLOCK_MONOTONIC_COARSE: return kMonotonic;
    case CLOCK_BOOTTIME: return kBoottime;
    default: return -1;
  }
}

// Never below what this process already saw for monotonic and boottime.
std::int64_t guard(int slot, std::int64_t value) {
  std::int64_t seen = highest[slot].load(std::memory_order_relaxed);
  while (value > seen && !highest[slot].compare_exchange_weak(seen, value, std::memory_order_relaxed)) {}
  return value > seen ? value : seen;
}

int fake_clock_gettime(clockid_t id, struct timespec* ts) {
  int rc = raw_clock_gettime(id, ts);
  if (rc != 0 || !ts) return rc;
  int slot = slot_of(id);
  if (slot < 0) return rc;
  const ClockPage* p = current_page();
  if (!p) return rc;
  ClockMap maps[kSlotCount];
  if (!read_clock_params(p, maps)) return rc;
  std::int64_t value = maps[slot].apply(to_ns(*ts));
  if (slot != kRealtime) value = guard(slot, value);
  from_ns(value, ts);
  return rc;
}

}  // namespace

extern "C" {

__attribute__((visibility("default"))) int clock_gettime(clockid_t id, struct timespec* ts) {
  return fake_clock_gettime(id, ts);
}

}  // extern "C"

namespace {
// Not declared nonnull (glibc's gettimeofday is), so the NULL check is kept.
int fake_gettimeofday(struct timeval* tv, void* tz) {
  if (tz) {
    auto* zone = static_cast<struct timezone*>(tz);
    zone->tz_minuteswest = 0;
    zone->tz_dsttime = 0;
  }
  if (!tv) return 0;
  struct timespec ts {};
  int rc = fake_clock_gettime(CLOCK_REALTIME, &ts);
  tv->tv_sec = ts.tv_sec;
  tv->tv_usec = ts.tv_nsec / 1000;
  return rc;
}
}  // namespace

extern "C" {

__attribute__((visibility("default"))) int gettimeofday(struct timeval* tv, void* tz) {
  return fake_gettimeofday(tv, tz);
}

__attribute__((visibility("default"))) time_t time(time_t* out) {
  struct timespec ts {};
  fake_clock_gettime(CLOCK_REALTIME, &ts);
  if (out) *out = ts.tv_sec;
  return ts.tv_sec;
}

}  // extern "C"
