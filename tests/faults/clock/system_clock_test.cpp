// SystemClockFaults (bump, strobe step, drift) against a fake SystemClock:
// the logic is tested without ever touching the real clock. Also: the system
// clock is never chosen implicitly, and a spec may name the mechanism.
#include <gtest/gtest.h>

#include <unistd.h>

#include "faults/clock/system_clock.h"
#include "faults/registry.h"

namespace faultline::faults::clock {
namespace {


class FakeClock : public SystemClock {
 public:
  Nanos real = 1'700'000'000 * kSecond;  // REALTIME
  Nanos raw = 1000 * kSecond;             // MONOTONIC_RAW
  ClockFrequency freq{10000, 123 << 16};
  int sets = 0;

  Nanos realtime() const override { return real; }
  Nanos monotonic_raw() const override { return raw; }
  Result<void> set_realtime(Nanos ns) override { real = ns; ++sets; return ok_result(); }
  Result<ClockFrequency> frequency() const override { return freq; }
  Result<void> set_frequency(const ClockFrequency& f) override { freq = f; return ok_result(); }
  long nominal_tick() const override { return 10000; }
  Availability probe() const override { return {true, "system", ""}; }
  void advance(Nanos ns) { real += ns; raw += ns; }
};

FaultSpec spec(nlohmann::json j) { return *FaultSpec::parse(j); }

TEST(SystemClockFaults, RefusesUnlessAskedExplicitly) {
  FakeClock clock;
  SystemClockFaults faults(clock);
  auto plan = faults.plan(spec({{"kind", "clock-skew"}, {"offset", "+5s"}}));
  ASSERT_FALSE(plan);
  EXPECT_NE(plan.error().message.find("\"mechanism\":\"system\""), std::string::npos);
  EXPECT_EQ(clock.sets, 0);
}

TEST(SystemClockFaults, BumpAndHealRestoreTheRecordedOffset) {
  FakeClock clock;
  SystemClockFaults faults(clock);
  Nanos true_offset = clock.real - clock.raw;
  auto record = faults.plan(spec({{"kind", "clock-skew"}, {"offset", "-2s"}, {"mechanism", "system"}}));
  ASSERT_TRUE(record) << record.error().message;
  EXPECT_EQ(clock.sets, 0) << "plan changes nothing";
  ASSERT_TRUE(faults.apply(*record));
  EXPECT_EQ(clock.real - clock.raw, true_offset - 2 * kSecond);
  ASSERT_TRUE(faults.apply(*record));  // idempotent: anchored on MONOTONIC_RAW, not a second bump
  EXPECT_EQ(clock.real - clock.raw, true_offset - 2 * kSecond);
  clock.advance(3 * kSecond);
  ASSERT_TRUE(faults.apply(*record, /*skewed=*/false));  // one strobe step back to true time
  EXPECT_EQ(clock.real - clock.raw, true_offset);
  ASSERT_TRUE(faults.apply(*record, true));
  clock.real += 42 * kSecond;  // someone else bumped it further meanwhile
  FakeClock& same = clock;
  SystemClockFaults fresh(same);  // heal from the record alone
  ASSERT_TRUE(fresh.heal(*record));
  EXPECT_EQ(clock.real - clock.raw, true_offset);
}

TEST(SystemClockFaults, StrobeNeedsAPeriod) {
  FakeClock clock;
  SystemClockFaults faults(clock);
  auto record = faults.plan(spec({{"kind", "clock-skew"}, {"offset", "1s"}, {"strobe", "10ms"}, {"mechanism", "system"}}));
  ASSERT_TRUE(record);
  EXPECT_EQ((*record)["strobe_period"], 10'000'000);
  // A zero period is refused by the spec itself, before any plan.
  auto bad = FaultSpec::parse({{"kind", "clock-skew"}, {"offset", "1s"}, {"strobe", "0s"}, {"mechanism", "system"}});
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("strobe"), std::string::npos) << bad.error().message;
}

TEST(SystemClockFaults, DriftSetsTickAndFreqAndHealRestoresThem) {
  FakeClock clock;
  SystemClockFaults faults(clock);
  ClockFrequency original = clock.freq;
  auto record = faults.plan(spec({{"kind", "clock-drift"}, {"rate", 1.05}, {"mechanism", "system"}}));
  ASSERT_TRUE(record) << record.error().message;
  ASSERT_TRUE(faults.apply(*record));
  EXPECT_EQ(clock.freq.tick, 10500);
  EXPECT_EQ(clock.freq.freq, 0);
  clock.real += kSecond / 20;  // the drifted clock ran ahead
  ASSERT_TRUE(faults.heal(*record));
  EXPECT_EQ(clock.freq, original);
  EXPECT_EQ(clock.real - clock.raw, 1'700'000'000 * kSecond - 1000 * kSecond);

  auto fine = SystemClockFaults::frequency_for(1'000'020'000, 10000);  // +20 ppm: all in freq
  EXPECT_EQ(fine.tick, 10000);
  EXPECT_NEAR(static_cast<double>(fine.freq) / 65536.0, 20.0, 0.01);
  auto too_fast = faults.plan(spec({{"kind", "clock-drift"}, {"rate", 2}, {"mechanism", "system"}}));
  ASSERT_FALSE(too_fast);
  EXPECT_NE(too_fast.error().message.find("10%"), std::string::npos);
}

TEST(ClockMechanismChoice, PerProcessIsPreferredAndSystemOnlyOnRequest) {
  HostContext host;
  host.state_dir = std::filesystem::temp_directory_path() / ("clock-choice-" + std::to_string(::getpid()));
  auto skew = MechanismRegistry::instance().candidates("clock-skew");
  ASSERT_GE(skew.size(), 2u);
  EXPECT_EQ(skew.front()->name(), "per-process");
  // Without "mechanism", a plan never reaches the system clock: either the
  // per-process clock serves it, or the system mechanism refuses.
  auto plan = MechanismRegistry::instance().plan(spec({{"kind", "clock-skew"}, {"offset", "+1s"}}), host);
  if (plan) EXPECT_EQ((*plan)["mechanism"], "per-process");
  else EXPECT_NE(plan.error().message.find("mechanism"), std::string::npos);
  // An unknown mechanism name is a clear error.
  auto unknown = MechanismRegistry::instance().plan(
      spec({{"kind", "clock-stop"}, {"mechanism", "system"}}), host);
  ASSERT_FALSE(unknown);
  EXPECT_NE(unknown.error().message.find("system"), std::string::npos);
}

}  // namespace
}  // namespace faultline::faults::clock
