#include "faults/clock/time_namespace.h"

#include <fcntl.h>
#include <sched.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include <fmt/format.h>

#include "common/process/launch.h"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

namespace faultline::faults::clock {
namespace {

std::string offset_line(const char* clock, Nanos ns) {
  // The kernel wants seconds and a nanosecond part in [0, 1e9).
  Nanos sec = ns / 1'000'000'000, rem = ns % 1'000'000'000;
  if (rem < 0) {
    rem += 1'000'000'000;
    sec -= 1;
  }
  return fmt::format("{} {} {}\n", clock, sec, rem);
}

}  // namespace

Availability probe_time_namespaces() {
  Availability a;
  a.mechanism = "time-namespace";
  std::error_code ec;
  if (!std::filesystem::exists("/proc/self/ns/time", ec)) {
    a.reason = "kernel has no time namespaces (CONFIG_TIME_NS, Linux >= 5.6)";
    return a;
  }
  a.available = true;
  return a;
}

Result<TimeNamespaceSetup> TimeNamespaceSetup::prepare(const TimeOffsets& offsets) {
  auto probe = probe_time_namespaces();
  if (!probe.available) return unavailable(probe.reason);
  TimeNamespaceSetup setup;
  setup.text_ = offset_line("monotonic", offsets.monotonic) + offset_line("boottime", offsets.boottime);
  return setup;
}

int TimeNamespaceSetup::enter_in_child() const noexcept {
  if (::unshare(CLONE_NEWTIME) != 0) return errno;
  int fd = ::open("/proc/self/timens_offsets", O_WRONLY | O_CLOEXEC);
  if (fd < 0) return errno;
  ssize_t n = ::write(fd, text_.data(), text_.size());
  int err = n == static_cast<ssize_t>(text_.size()) ? 0 : (n < 0 ? errno : EIO);
  ::close(fd);
  return err;
}

Result<pid_t> spawn_with_time_offsets(const std::vector<std::string>& argv, const TimeOffsets& offsets) {
  if (argv.empty()) return invalid_input("spawn_with_time_offsets: empty command");
  auto setup = TimeNamespaceSetup::prepare(offsets);
  if (!setup) return setup.error();
  process::LaunchOptions options;
  options.argv = argv;
  options.in = process::Stream::inherit();
  options.exec_setup = [&setup] { return setup->enter_in_child(); };
  auto child = process::start(options);
  if (!child) return child.error().with_context("starting in a new time namespace");
  return child->pid();
}

}  // namespace faultline::faults::clock
