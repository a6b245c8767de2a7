#include "faults/clock/system_clock.h"

#include <sys/timex.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstring>
#include <ctime>

#include <fmt/format.h>

#include "faults/clock/clock_params.h"
#include "faults/process/fault_id.h"

namespace faultline::faults::clock {
namespace {

Nanos read_clock(clockid_t id) {
  timespec ts{};
  ::clock_gettime(id, &ts);
  return static_cast<Nanos>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

constexpr long kMaxFreqPpm = 500;

}  // namespace

Nanos RealSystemClock::realtime() const { return read_clock(CLOCK_REALTIME); }
Nanos RealSystemClock::monotonic_raw() const { return read_clock(CLOCK_MONOTONIC_RAW); }

Result<void> RealSystemClock::set_realtime(Nanos ns) {
  timespec ts{static_cast<time_t>(ns / 1'000'000'000), static_cast<long>(ns % 1'000'000'000)};
  if (::clock_settime(CLOCK_REALTIME, &ts) != 0)
    return io_error(fmt::format("clock_settime(CLOCK_REALTIME): {}", std::strerror(errno)));
  return ok_result();
}

Result<ClockFrequency> RealSystemClock::frequency() const {
  timex tx{};
  if (::adjtimex(&tx) < 0) return io_error(fmt::format("adjtimex: {}", std::strerror(errno)));
  return ClockFrequency{tx.tick, tx.freq};
}

Result<void> RealSystemClock::set_frequency(const ClockFrequency& f) {
  timex tx{};
  tx.modes = ADJ_TICK | ADJ_FREQUENCY;
  tx.tick = f.tick;
  tx.freq = f.freq;
  if (::adjtimex(&tx) < 0) return io_error(fmt::format("adjtimex(tick={}, freq={}): {}", f.tick, f.freq, std::strerror(errno)));
  return ok_result();
}

long RealSystemClock::nominal_tick() const {
  long hz = ::sysconf(_SC_CLK_TCK);
  return hz > 0 ? 1'000'000 / hz : 10'000;
}

Availability RealSystemClock::probe() const {
  Availability a;
  a.mechanism = "system";
  // Setting the clock needs CAP_SYS_TIME in the effective set.
  FILE* status = std::fopen("/proc/self/status", "r");
  bool cap = false;
  if (status) {
    char line[256];
    while (std::fgets(line, sizeof line, status)) {
      unsigned long long caps = 0;
      if (std::sscanf(line, "CapEff: %llx", &caps) == 1) cap = caps & (1ull << 25);  // CAP_SYS_TIME
    }
    std::fclose(status);
  }
  if (!cap) {
    a.reason = "missing capability CAP_SYS_TIME";
    return a;
  }
  a.available = true;
  return a;
}

ClockFrequency SystemClockFaults::frequency_for(std::int64_t rate_ppb, long nominal_tick) {
  // rate = (tick / nominal) * (1 + freq_ppm / 1e6)
  double want = static_cast<double>(rate_ppb) / 1e9 * static_cast<double>(nominal_tick);
  long tick = std::lround(want);
  double ppm = (want / static_cast<double>(tick) - 1.0) * 1e6;
  if (ppm > kMaxFreqPpm) ppm = kMaxFreqPpm;
  if (ppm < -kMaxFreqPpm) ppm = -kMaxFreqPpm;
  return ClockFrequency{tick, std::lround(ppm * 65536.0)};
}

Result<HealRecord> SystemClockFaults::plan(const FaultSpec& spec) {
  auto m = spec.params.find("mechanism");
  if (m == spec.params.end() || *m != "system")
    return invalid_input(fmt::format(
        "{}: the system clock mechanism changes the time of every process on this host; ask for it explicitly "
        "with \"mechanism\":\"system\" (the default is the per-process clock)", spec.kind));
  auto id = fault_id_for(spec);
  if (!id) return id.error();
  HealRecord record;
  record["id"] = *id;
  record["base_offset"] = clock_.realtime() - clock_.monotonic_raw();
  if (spec.kind == "clock-skew") {
    auto offset = parse_offset(spec);
    if (!offset) return offset.error();
    record["offset"] = *offset;
    if (auto s = spec.params.find("strobe"); s != spec.params.end()) {
      if (!s->is_string()) return invalid_input("clock-skew field \"strobe\" must be a period such as \"100ms\"");
      auto period = parse_duration(s->get<std::string>());
      if (!period) return period.error().with_context("clock-skew field \"strobe\"");
      if (*period < 1'000'000) return invalid_input("clock-skew field \"strobe\" must be at least 1ms");
      record["strobe_period"] = *period;
    }
  } else if (spec.kind == "clock-drift") {
    auto rate = parse_rate_ppb(spec);
    if (!rate) return rate.error();
    if (*rate < 900'000'000 || *rate > 1'100'000'000)
      return invalid_input(fmt::format("clock-drift: the system clock can drift by at most 10% (rate 0.9..1.1), not {}",
                                       static_cast<double>(*rate) / 1e9));
    auto original = clock_.frequency();
    if (!original) return original.error();
    record["rate_ppb"] = *rate;
    record["original_tick"] = original->tick;
    record["original_freq"] = original->freq;
  } else {
    return invalid_input(fmt::format("{} cannot be served by the system clock (use the per-process clock)", spec.kind));
  }
  return record;
}

Result<void> SystemClockFaults::apply(const HealRecord& record, bool skewed) {
  Nanos base = record.value("base_offset", Nanos{0});
  if (record.contains("offset")) {
    Nanos offset = skewed ? record.value("offset", Nanos{0}) : 0;
    return clock_.set_realtime(clock_.monotonic_raw() + base + offset);
  }
  if (record.contains("rate_ppb"))
    return clock_.set_frequency(frequency_for(record.value("rate_ppb", std::int64_t{1'000'000'000}), clock_.nominal_tick()));
  return invalid_input("system clock record has neither \"offset\" nor \"rate_ppb\"");
}

Result<void> SystemClockFaults::heal(const HealRecord& record) {
  if (record.contains("original_tick")) {
    auto r = clock_.set_frequency(ClockFrequency{record.value("original_tick", clock_.nominal_tick()),
                                                 record.value("original_freq", 0L)});
    if (!r) return r;
  }
  return clock_.set_realtime(clock_.monotonic_raw() + record.value("base_offset", Nanos{0}));
}

}  // namespace faultline::faults::clock
