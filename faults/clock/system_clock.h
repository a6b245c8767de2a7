// SystemClock: the host's real clock (clock_settime, adjtimex) behind an
// interface, and SystemClockFaults: the logic of Jepsen's bump, strobe and
// drift on it, unit-tested against a fake (tests never set the real clock).
//
// Contract:
//  - Every fault records, at plan time, base_offset = REALTIME - MONOTONIC_RAW
//    (MONOTONIC_RAW is touched neither by clock_settime nor by adjtimex), and
//    for drift the original adjtimex tick and freq. heal() puts REALTIME back
//    to MONOTONIC_RAW + base_offset and restores tick/freq, so heal is exact
//    and idempotent however many bumps or strobes happened, and works from
//    the record alone after an agent restart.
//  - bump (clock-skew): REALTIME = MONOTONIC_RAW + base_offset + offset (idempotent).
//  - strobe (clock-skew with "strobe": period): the clock alternates between
//    skewed and true every period until healed; the flipping runs in the
//    mechanism's thread, and heal stops it.
//  - drift (clock-drift): tick = nominal tick * rate (adjtimex can slew the
//    tick by at most ±10%), the remainder in freq (±500 ppm); rates outside
//    [0.9, 1.1] are refused.
//  - The system clock is never chosen implicitly: plan() refuses unless the
//    spec says "mechanism":"system", because on a shared kernel (containers,
//    namespaces, CI hosts) it changes every process's time.
#pragma once

#include <cstdint>

#include "common/result.h"
#include "common/units.h"
#include "faults/fault_spec.h"
#include "faults/mechanism.h"

namespace faultline::faults::clock {

struct ClockFrequency {
  long tick = 0;  // microseconds per kernel tick (adjtimex ADJ_TICK)
  long freq = 0;  // ppm scaled by 2^16 (adjtimex ADJ_FREQUENCY)
  bool operator==(const ClockFrequency&) const = default;
};

class SystemClock {
 public:
  virtual ~SystemClock() = default;
  virtual Nanos realtime() const = 0;
  virtual Nanos monotonic_raw() const = 0;
  virtual Result<void> set_realtime(Nanos ns) = 0;
  virtual Result<ClockFrequency> frequency() const = 0;
  virtual Result<void> set_frequency(const ClockFrequency& f) = 0;
  virtual long nominal_tick() const = 0;  // 1e6 / USER_HZ
  virtual Availability probe() const = 0;
};

// The real one: clock_gettime/clock_settime/adjtimex.
class RealSystemClock : public SystemClock {
 public:
  Nanos realtime() const override;
  Nanos monotonic_raw() const override;
  Result<void> set_realtime(Nanos ns) override;
  Result<ClockFrequency> frequency() const override;
  Result<void> set_frequency(const ClockFrequency& f) override;
  long nominal_tick() const override;
  Availability probe() const override;
};

class SystemClockFaults {
 public:
  explicit SystemClockFaults(SystemClock& clock) : clock_(clock) {}

  // kind is "clock-skew" or "clock-drift"; the record has base_offset, and
  // offset (+ strobe_period) or rate_ppb + original tick/freq.
  Result<HealRecord> plan(const FaultSpec& spec);
  // One step of the fault: skewed = true puts the skew in effect, false the true time.
  Result<void> apply(const HealRecord& record, bool skewed = true);
  Result<void> heal(const HealRecord& record);
  static ClockFrequency frequency_for(std::int64_t rate_ppb, long nominal_tick);

 private:
  SystemClock& clock_;
};

}  // namespace faultline::faults::clock
