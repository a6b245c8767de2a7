// System clock mechanism ("system") for clock-skew (bump, strobe) and
// clock-drift (adjtimex), as Jepsen's clock nemesis on dedicated hosts and
// VMs. Preference 10: never chosen implicitly over the per-process clock, and
// plan() refuses unless the spec says "mechanism":"system" (system_clock.h).
#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <thread>

#include <fmt/format.h>

#include "faults/clock/system_clock.h"
#include "faults/registry.h"

namespace faultline::faults::clock {
namespace {

class SystemClockMechanism : public Mechanism {
 public:
  SystemClockMechanism() : faults_(clock_) {}
  ~SystemClockMechanism() override {
    std::map<std::string, std::unique_ptr<Strobe>> strobes;
    {
      std::lock_guard lock(mutex_);
      strobes.swap(strobes_);
    }
    for (auto& [id, strobe] : strobes) strobe->stop();
  }

  std::string_view name() const override { return "system"; }
  Availability probe(const HostContext&) const override { return clock_.probe(); }
  Result<HealRecord> plan(const FaultSpec& spec, const HostContext&) override { return faults_.plan(spec); }

  Result<void> apply(const HealRecord& record, const HostContext&) override {
    auto r = faults_.apply(record, true);
    if (!r || !record.contains("strobe_period")) return r;
    std::string id = record.value("id", "");
    std::lock_guard lock(mutex_);
    if (!strobes_.count(id)) strobes_[id] = std::make_unique<Strobe>(faults_, record);
    return ok_result();
  }

  Result<void> heal(const HealRecord& record, const HostContext&) override {
    std::unique_ptr<Strobe> strobe;
    {
      std::lock_guard lock(mutex_);
      auto it = strobes_.find(record.value("id", ""));
      if (it != strobes_.end()) {
        strobe = std::move(it->second);
        strobes_.erase(it);
      }
    }
    if (strobe) strobe->stop();
    return faults_.heal(record);
  }

  std::string describe(const HealRecord& record) const override {
    if (record.contains("rate_ppb"))
      return fmt::format("clock-drift of the system clock, rate {}", record.value("rate_ppb", 0.0) / 1e9);
    Nanos offset = record.value("offset", Nanos{0});
    std::string text = fmt::format("clock-skew of the system clock by {}{}", offset < 0 ? "-" : "+",
                                   format_duration(offset < 0 ? -offset : offset));
    if (record.contains("strobe_period"))
      text += fmt::format(", strobing every {}", format_duration(record.value("strobe_period", Nanos{0})));
    return text;
  }

 private:
  // Flips the clock between skewed and true every period until stopped.
  class Strobe {
   public:
    Strobe(SystemClockFaults& faults, HealRecord record)
        : thread_([this, &faults, record = std::move(record)] {
            auto period = std::chrono::nanoseconds(record.value("strobe_period", Nanos{100'000'000}));
            bool skewed = true;
            std::unique_lock lock(m_);
            while (!cv_.wait_for(lock, period, [this] { return stop_; })) {
              skewed = !skewed;
              (void)faults.apply(record, skewed);
            }
          }) {}
    void stop() {
      {
        std::lock_guard lock(m_);
        stop_ = true;
      }
      cv_.notify_all();
      if (thread_.joinable()) thread_.join();
    }

   private:
    std::mutex m_;
    std::condition_variable cv_;
    bool stop_ = false;
    std::thread thread_;
  };

  RealSystemClock clock_;
  SystemClockFaults faults_;
  std::mutex mutex_;
  std::map<std::string, std::unique_ptr<Strobe>> strobes_;
};

class SystemClockSkew : public SystemClockMechanism {};
class SystemClockDrift : public SystemClockMechanism {};

FAULTLINE_REGISTER_MECHANISM("clock-skew", 10, SystemClockSkew);
FAULTLINE_REGISTER_MECHANISM("clock-drift", 10, SystemClockDrift);

}  // namespace
}  // namespace faultline::faults::clock
