// faultline-clock-probe: a small program for the per-process clock tests.
// Reads commands on stdin and answers one line each:
//   r / m / b  -> CLOCK_REALTIME / MONOTONIC / BOOTTIME in ns
//   g          -> gettimeofday in ns;  t -> time() in ns
//   watch      -> starts a thread reading MONOTONIC in a loop ("watching")
//   report     -> "<reads> <backwards> <largest backwards step ns>"
// With the argument "once" it prints "<monotonic ns> <boottime ns>" and exits.
#include <sys/time.h>
#include <time.h>

#include <atomic>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <string>
#include <thread>

namespace {

std::int64_t now(clockid_t id) {
  timespec ts{};
  clock_gettime(id, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

std::atomic<bool> stop{false};
std::atomic<std::int64_t> reads{0}, backwards{0}, worst{0};

void watch() {
  std::int64_t last = now(CLOCK_MONOTONIC);
  while (!stop.load(std::memory_order_relaxed)) {
    std::int64_t t = now(CLOCK_MONOTONIC);
    if (t < last) {
      backwards.fetch_add(1);
      if (last - t > worst.load()) worst.store(last - t);
    }
    last = t;
    reads.fetch_add(1, std::memory_order_relaxed);
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc > 1 && std::strcmp(argv[1], "once") == 0) {
    std::printf("%lld %lld\n", static_cast<long long>(now(CLOCK_MONOTONIC)), static_cast<long long>(now(CLOCK_BOOTTIME)));
    return 0;
  }
  std::thread watcher;
  std::string cmd;
  while (std::getline(std::cin, cmd)) {
    long long value = 0;
    if (cmd == "r") value = now(CLOCK_REALTIME);
    else if (cmd == "m") value = now(CLOCK_MONOTONIC);
    else if (cmd == "b") value = now(CLOCK_BOOTTIME);
    else if (cmd == "g") {
      timeval tv{};
      gettimeofday(&tv, nullptr);
      value = static_cast<long long>(tv.tv_sec) * 1'000'000'000 + tv.tv_usec * 1000LL;
    } else if (cmd == "t") value = static_cast<long long>(time(nullptr)) * 1'000'000'000;
    else if (cmd == "watch") {
      if (!watcher.joinable()) watcher = std::thread(watch);
      std::cout << "watching" << std::endl;
      continue;
    } else if (cmd == "report") {
      std::cout << reads.load() << " " << backwards.load() << " " << worst.load() << std::endl;
      continue;
    } else {
      std::cout << "unknown" << std::endl;
      continue;
    }
    std::cout << value << std::endl;
  }
  stop = true;
  if (watcher.joinable()) watcher.join();
  return 0;
}
