// Per-process clock mechanism ("per-process") for clock-skew, clock-drift and
// clock-stop: writes the shared page <state_dir>/clock.shm that
// libfaultline_clock.so reads inside the SUT (clock_page_file.h states the
// semantics). Preferred over the system clock (preference 0 vs 10) because on
// a shared kernel it touches only the SUT.
//
// HealRecord: {"id", "page": path, "slots": bitmask, "value": offset ns or
// rate ppb, "clock_kind": "skew"|"drift"|"stop"}. Heal removes the entry by
// id from the page, so a fresh instance heals from the record alone.
#include <fmt/format.h>

#include "faults/clock/clock_page.h"
#include "faults/clock/clock_page_file.h"
#include "faults/clock/clock_params.h"
#include "faults/clock/preload_library.h"
#include "faults/process/fault_id.h"
#include "faults/registry.h"

namespace faultline::faults::clock {
namespace {

std::string slot_names(int slots) {
  std::string out;
  const char* names[] = {"realtime", "monotonic", "boottime"};
  for (int s = 0; s < kSlotCount; ++s)
    if (slots & (1 << s)) out += (out.empty() ? "" : "+") + std::string(names[s]);
  return out;
}

class ProcessClock : public Mechanism {
 public:
  explicit ProcessClock(ActiveKind kind) : kind_(kind) {}
  std::string_view name() const override { return "per-process"; }

  Availability probe(const HostContext& host) const override {
    Availability a;
    a.mechanism = "per-process";
    auto lib = find_clock_preload();
    if (!lib) {
      a.reason = lib.error().message;
      return a;
    }
    if (host.state_dir.empty()) {
      a.reason = "no state directory for the clock page";
      return a;
    }
    a.available = true;
    return a;
  }

  Result<HealRecord> plan(const FaultSpec& spec, const HostContext& host) override {
    auto id = fault_id_for(spec);
    if (!id) return id.error();
    auto slots = parse_slots(spec);
    if (!slots) return slots.error();
    std::int64_t value = 0;
    if (kind_ == kSkew) {
      auto offset = parse_offset(spec);
      if (!offset) return offset.error();
      if (*offset < 0 && (*slots & ~(1 << kRealtime)))
        return invalid_input(
            "clock-skew: a negative \"offset\" cannot apply to monotonic or boottime (they never go backwards); "
            "use clock-stop or clock-drift with a rate below 1");
      value = *offset;
    } else if (kind_ == kDrift) {
      auto rate = parse_rate_ppb(spec);
      if (!rate) return rate.error();
      value = *rate;
    }
    if (host.state_dir.empty()) return unavailable("per-process clock: the agent has no state directory");
    HealRecord record;
    record["id"] = *id;
    record["page"] = clock_page_path(host.state_dir).string();
    record["slots"] = *slots;
    record["value"] = value;
    record["clock_kind"] = kind_ == kSkew ? "skew" : kind_ == kDrift ? "drift" : "stop";
    return record;
  }

  Result<void> apply(const HealRecord& record, const HostContext&) override {
    auto page = open_page(record);
    if (!page) return page.error();
    ClockFaultEntry entry;
    entry.id = record.value("id", "");
    entry.kind = kind_;
    entry.slots = record.value("slots", 1);
    entry.value = record.value("value", std::int64_t{0});
    return page->add(entry);
  }

  Result<void> heal(const HealRecord& record, const HostContext&) override {
    auto page = open_page(record);
    if (!page) return page.error();
    return page->remove(record.value("id", ""));
  }

  std::string describe(const HealRecord& record) const override {
    int slots = record.value("slots", 1);
    std::int64_t value = record.value("value", std::int64_t{0});
    std::string what = kind_ == kSkew ? fmt::format("clock-skew {}{}", value < 0 ? "-" : "+",
                                                    format_duration(value < 0 ? -value : value))
                       : kind_ == kDrift ? fmt::format("clock-drift rate {}", static_cast<double>(value) / 1e9)
                                         : std::string("clock-stop");
    return fmt::format("{} of {} for processes under {} ({})", what, slot_names(slots), kClockPreloadName,
                       record.value("page", ""));
  }

 private:
  static Result<ClockPageFile> open_page(const HealRecord& record) {
    auto it = record.find("page");
    if (it == record.end() || !it->is_string()) return invalid_input("clock heal record has no \"page\"");
    return ClockPageFile::open(it->get<std::string>());
  }
  ActiveKind kind_;
};

class ProcessClockSkew : public ProcessClock { public: ProcessClockSkew() : ProcessClock(kSkew) {} };
class ProcessClockDrift : public ProcessClock { public: ProcessClockDrift() : ProcessClock(kDrift) {} };
class ProcessClockStop : public ProcessClock { public: ProcessClockStop() : ProcessClock(kStop) {} };

FAULTLINE_REGISTER_MECHANISM("clock-skew", 0, ProcessClockSkew);
FAULTLINE_REGISTER_MECHANISM("clock-drift", 0, ProcessClockDrift);
FAULTLINE_REGISTER_MECHANISM("clock-stop", 0, ProcessClockStop);

}  // namespace
}  // namespace faultline::faults::clock
