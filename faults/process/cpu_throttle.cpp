// cpu-throttle: cap the SUT's CPU with a cgroup of our own
// (a NodeSlow fault). {"kind":"cpu-throttle","percent":20} allows 20% of one CPU
// (CFS quota 20ms per 100ms period; above 100 allows several CPUs).
// Two mechanisms: "cgroup-v2" (cpu.max, preferred) where a cgroup2 hierarchy
// has the cpu controller, else "cgroup-v1" (cpu.cfs_quota_us). apply creates
// <hierarchy>/faultline-<id>, sets the quota and moves the SUT in; heal moves
// every process in it back to the SUT's original cgroup (recorded at plan
// time; the hierarchy root if that is gone) after lifting the quota, and
// removes ours. Idempotent.
// HealRecord: {"id","version","pid","start_time","cgroup","original",
// "quota_us","period_us"}.
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <sstream>
#include <thread>

#include <fmt/format.h>

#include "faults/process/cgroup.h"
#include "faults/process/fault_id.h"
#include "faults/process/proc_identity.h"
#include "faults/registry.h"

namespace faultline::faults {
namespace {

constexpr long kPeriodUs = 100'000;

class CpuThrottle : public Mechanism {
 public:
  explicit CpuThrottle(int version) : version_(version) {}
  std::string_view name() const override { return version_ == 2 ? "cgroup-v2" : "cgroup-v1"; }

  Availability probe(const HostContext& host) const override {
    Availability a{false, std::string(name()), ""};
    auto root = cgroup::find_cpu_cgroup(version_);
    if (!root) {
      a.reason = root.error().message;
      return a;
    }
    if (::access(root->c_str(), W_OK) != 0) {
      a.reason = fmt::format("cannot create cgroups under {}: {}", root->string(), std::strerror(errno));
      return a;
    }
    if (!host.process) {
      a.reason = "no supervised SUT on this agent (start it through the agent)";
      return a;
    }
    a.available = true;
    return a;
  }

  Result<HealRecord> plan(const FaultSpec& spec, const HostContext& host) override {
    auto pct = spec.params.find("percent");
    long cpus = std::max(1L, ::sysconf(_SC_NPROCESSORS_ONLN));
    if (pct == spec.params.end() || !pct->is_number())
      return invalid_input("cpu-throttle needs a number field \"percent\" (of one CPU, e.g. 20)");
    double percent = pct->get<double>();
    if (!(percent > 0) || percent > 100.0 * static_cast<double>(cpus))
      return invalid_input(fmt::format("cpu-throttle field \"percent\" {} must be > 0 and <= {} ({} CPUs)", percent,
                                       100 * cpus, cpus));
    auto id = fault_id_for(spec);
    if (!id) return id.error();
    if (!host.process || !host.process->running()) return unavailable("cpu-throttle: the SUT is not running");
    auto who = ProcIdentity::of(host.process->pid());
    if (!who) return who.error().with_context("cpu-throttle");
    auto root = cgroup::find_cpu_cgroup(version_);
    if (!root) return root.error();
    auto original = cgroup::cgroup_of(who->pid, version_);
    if (!original) return original.error();
    long quota = std::max(1000L, static_cast<long>(percent * kPeriodUs / 100.0));
    return HealRecord{{"id", *id},
                      {"version", version_},
                      {"pid", who->pid},
                      {"start_time", who->start_time},
                      {"cgroup", (*root / ("faultline-" + *id)).string()},
                      {"original", (*root / std::filesystem::path(*original).relative_path()).lexically_normal().string()},
                      {"root", root->string()},
                      {"quota_us", quota},
                      {"period_us", kPeriodUs}};
  }

  Result<void> apply(const HealRecord& record, const HostContext&) override {
    std::filesystem::path dir = record.value("cgroup", "");
    std::filesystem::path root = record.value("root", "");
    if (dir.empty() || root.empty()) return invalid_input("cpu-throttle record has no \"cgroup\"");
    ProcIdentity who{record.value("pid", -1), record.value("start_time", std::uint64_t{0})};
    if (!who.alive()) return Error{ErrorCode::kNotFound, fmt::format("cpu-throttle: process {} is gone", who.pid)};
    if (::mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST)
      return io_error(fmt::format("cpu-throttle: mkdir {}: {}", dir.string(), std::strerror(errno)));
    long quota = record.value("quota_us", kPeriodUs), period = record.value("period_us", kPeriodUs);
    if (record.value("version", 1) == 2) {
      auto control = cgroup::read_file(root / "cgroup.subtree_control");
      if (!control) return control.error();
      std::istringstream words(*control);
      std::string w;
      bool enabled = false;
      while (words >> w) enabled = enabled || w == "cpu";
      if (!enabled) {
        if (auto r = cgroup::write_file(root / "cgroup.subtree_control", "+cpu"); !r) return r;
      }
      if (auto r = cgroup::write_file(dir / "cpu.max", fmt::format("{} {}", quota, period)); !r) return r;
    } else {
      if (auto r = cgroup::write_file(dir / "cpu.cfs_period_us", std::to_string(period)); !r) return r;
      if (auto r = cgroup::write_file(dir / "cpu.cfs_quota_us", std::to_string(quota)); !r) return r;
    }
    return cgroup::write_file(dir / "cgroup.procs", std::to_string(who.pid));
  }

  Result<void> heal(const HealRecord& record, const HostContext&) override {
    std::filesystem::path dir = record.value("cgroup", "");
    std::filesystem::path original = record.value("original", "");
    std::filesystem::path root = record.value("root", "");
    if (dir.empty()) return invalid_input("cpu-throttle record has no \"cgroup\"");
    std::error_code ec;
    if (!std::filesystem::exists(dir, ec)) return ok_result();
    std::filesystem::path back = std::filesystem::exists(original / "cgroup.procs", ec) ? original : root;
    // Lift the quota before moving anyone out: a task moved out of a cgroup
    // while that cgroup is throttled can stay off the CPU until the old
    // cgroup is unthrottled, which never happens once it is removed (seen
    // on 6.18's task-based CFS throttling: the healed SUT got 0% CPU).
    if (record.value("version", 1) == 2) {
      (void)cgroup::write_file(dir / "cpu.max", fmt::format("max {}", record.value("period_us", kPeriodUs)));
    } else {
      (void)cgroup::write_file(dir / "cpu.cfs_quota_us", "-1");
    }
    for (int attempt = 0; attempt < 50; ++attempt) {
      auto procs = cgroup::read_file(dir / "cgroup.procs");
      if (procs) {
        std::istringstream in(*procs);
        std::string pid;
        while (in >> pid) {
          auto r = cgroup::write_file(back / "cgroup.procs", pid);
          if (!r && ::access(fmt::format("/proc/{}", pid).c_str(), F_OK) == 0) return r.error().with_context("cpu-throttle heal");
        }
      }
      if (::rmdir(dir.c_str()) == 0 || errno == ENOENT) return ok_result();
      if (errno != EBUSY) return io_error(fmt::format("cpu-throttle heal: rmdir {}: {}", dir.string(), std::strerror(errno)));
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return io_error(fmt::format("cpu-throttle heal: {} stays busy", dir.string()));
  }

  bool survives_reboot() const override { return false; }  // cgroup limits
  std::string describe(const HealRecord& record) const override {
    return fmt::format("cpu-throttle: pid {} limited to {}% of a CPU in {}", record.value("pid", -1),
                       100.0 * record.value("quota_us", 0.0) / record.value("period_us", 1.0), record.value("cgroup", ""));
  }

 private:
  int version_;
};

class CpuThrottleV2 : public CpuThrottle { public: CpuThrottleV2() : CpuThrottle(2) {} };
class CpuThrottleV1 : public CpuThrottle { public: CpuThrottleV1() : CpuThrottle(1) {} };

FAULTLINE_REGISTER_MECHANISM("cpu-throttle", 0, CpuThrottleV2);
FAULTLINE_REGISTER_MECHANISM("cpu-throttle", 10, CpuThrottleV1);

}  // namespace
}  // namespace faultline::faults
