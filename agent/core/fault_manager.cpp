#include "agent/core/fault_manager.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "agent/protocol/auth.h"

namespace faultline::agent {

namespace {
std::int64_t unix_ms_now() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string describe_record(faults::MechanismRegistry& registry, const nlohmann::json& record) {
  auto mechanism = registry.find(record.value("kind", std::string()), record.value("mechanism", std::string()));
  if (!mechanism) return record.value("kind", std::string("?"));
  return (*mechanism)->describe(record);
}

// A fault whose effect a reboot clears needs its journal record to outlive
// only a crash of the agent: no disk sync on its way to the target.
Durability durability_of(const faults::Mechanism& mechanism) {
  return mechanism.survives_reboot() ? Durability::kSynced : Durability::kCrashSafe;
}
}  // namespace

FaultManager::FaultManager(faults::MechanismRegistry& registry, faults::HostContext host, Journal& journal)
    : registry_(registry), host_(std::move(host)), journal_(journal), id_tag_(protocol::random_hex(2)) {}

FaultManager::~FaultManager() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (reaper_.joinable()) reaper_.join();
}

Result<RecoveryReport> FaultManager::recover() {
  auto loaded = journal_.load();
  if (!loaded) return loaded.error();
  RecoveryReport report;
  report.skipped_lines = loaded->skipped_lines;
  if (report.skipped_lines)
    spdlog::warn("journal {}: skipped {} unreadable line(s) (torn write?)", journal_.path().string(),
                 report.skipped_lines);
  std::vector<JournalEntry> failed;
  for (auto& entry : loaded->still_applied) {
    const auto kind = entry.record.value("kind", std::string());
    const auto name = entry.record.value("mechanism", std::string());
    Result<void> healed = ok_result();
    auto mechanism = registry_.find(kind, name);
    if (!mechanism) {
      healed = mechanism.error();
    } else {
      std::lock_guard ops(ops_mutex_);
      healed = (*mechanism)->heal(entry.record, host_);
    }
    if (healed) {
      ++report.healed;
      spdlog::info("recovery: healed fault {} ({} via {}) left applied by a previous run", entry.id, kind, name);
    } else {
      ++report.failed;
      spdlog::error("recovery: could not heal fault {} ({} via {}): {}; will retry", entry.id, kind, name,
                    healed.error().message);
      failed.push_back(entry);
    }
  }
  if (auto compacted = journal_.compact(failed); !compacted) return compacted.error();
  if (auto opened = journal_.open(); !opened) return opened.error();
  std::lock_guard lock(mutex_);
  for (auto& entry : failed) {
    Fault fault;
    fault.id = entry.id;
    fault.spec = entry.spec;
    fault.record = entry.record;
    fault.description = describe_record(registry_, entry.record);
    fault.lease_deadline = Clock::now();
    fault.retry_at = Clock::now() + std::chrono::seconds(1);
    fault.applied_at_unix_ms = entry.applied_at_unix_ms;
    fault.heal_error = "left applied by a previous run; heal failed, retrying";
    faults_[fault.id] = std::move(fault);
  }
  return report;
}

void FaultManager::start() {
  if (!reaper_.joinable()) reaper_ = std::thread([this] { reaper_loop(); });
}

Result<AppliedFault> FaultManager::apply(const faults::FaultSpec& spec, std::optional<Nanos> lease,
                                         std::uint64_t owner) {
  const Nanos lease_ns = lease.value_or(kDefaultLease);
  if (lease_ns <= 0) return invalid_input("lease must be a positive duration");
  std::unique_lock ops(ops_mutex_);
  auto record = registry_.plan(spec, host_);
  if (!record) return record.error().with_context(fmt::format("cannot apply {}", spec.kind));
  auto mechanism = registry_.find(spec.kind, record->value("mechanism", std::string()));
  if (!mechanism) return mechanism.error();

  std::string id;
  {
    std::lock_guard lock(mutex_);
    if (stopping_) return unavailable("agent is shutting down");
    id = fmt::format("f{}-{}", next_seq_++, id_tag_);
  }
  JournalEntry entry{id, *record, spec.to_json(), unix_ms_now()};
  const auto durability = durability_of(**mechanism);
  if (auto journaled = journal_.append_applied(entry, durability); !journaled)
    return journaled.error().with_context("fault not applied: cannot journal it");

  if (auto applied = (*mechanism)->apply(*record, host_); !applied) {
    auto cleanup = (*mechanism)->heal(*record, host_);
    if (cleanup) {
      (void)journal_.append_healed(id, durability);
    } else {
      spdlog::error("fault {}: apply failed and its cleanup failed too: {}", id, cleanup.error().message);
    }
    spdlog::warn("fault {} ({}) not applied: {}", id, spec.kind, applied.error().message);
    return applied.error().with_context(fmt::format("cannot apply {}", spec.kind));
  }
  ops.unlock();

  AppliedFault out{id, std::string((*mechanism)->name()), (*mechanism)->describe(*record)};
  Fault fault;
  fault.id = id;
  fault.spec = spec.to_json();
  fault.record = *record;
  fault.description = out.description;
  fault.owner = owner;
  fault.lease = lease_ns;
  const auto now = Clock::now();
  fault.lease_deadline = now + std::chrono::nanoseconds(lease_ns);
  if (spec.duration) fault.duration_deadline = now + std::chrono::nanoseconds(*spec.duration);
  fault.applied_at_unix_ms = entry.applied_at_unix_ms;
  {
    std::lock_guard lock(mutex_);
    faults_[id] = std::move(fault);
  }
  cv_.notify_all();
  spdlog::info("applied fault {}: {} (mechanism {}, lease {}{})", id, out.description, out.mechanism,
               format_duration(lease_ns), spec.duration ? ", duration " + format_duration(*spec.duration) : "");
  return out;
}

Result<void> FaultManager::heal(const std::string& id) { return heal_one(id, "requested"); }

Result<void> FaultManager::heal_one(const std::string& id, const char* reason) {
  nlohmann::json record;
  {
    std::lock_guard lock(mutex_);
    auto it = faults_.find(id);
    if (it == faults_.end()) return Error{ErrorCode::kNotFound, fmt::format("no applied fault with id '{}'", id)};
    if (it->second.healing) return ok_result();  // another thread is healing it right now
    it->second.healing = true;
    record = it->second.record;
  }
  Result<void> healed = ok_result();
  auto durability = Durability::kSynced;
  auto mechanism = registry_.find(record.value("kind", std::string()), record.value("mechanism", std::string()));
  if (!mechanism) {
    healed = mechanism.error();
  } else {
    durability = durability_of(**mechanism);
    std::lock_guard ops(ops_mutex_);
    healed = (*mechanism)->heal(record, host_);
  }
  if (healed) {
    if (auto journaled = journal_.append_healed(id, durability); !journaled)
      spdlog::error("fault {} healed but the journal could not record it: {}", id, journaled.error().message);
    std::lock_guard lock(mutex_);
    faults_.erase(id);
    spdlog::info("healed fault {} ({})", id, reason);
    return ok_result();
  }
  {
    std::lock_guard lock(mutex_);
    if (auto it = faults_.find(id); it != faults_.end()) {
      it->second.healing = false;
      it->second.heal_error = healed.error().message;
      it->second.retry_at = Clock::now() + std::chrono::seconds(1);
    }
  }
  cv_.notify_all();
  spdlog::error("heal of fault {} ({}) failed: {}; retrying in 1s", id, reason, healed.error().message);
  return healed.error().with_context(fmt::format("heal {}", id));
}

Result<std::size_t> FaultManager::heal_all() {
  std::vector<std::string> ids;
  {
    std::lock_guard lock(mutex_);
    for (const auto& [id, fault] : faults_) ids.push_back(id);
  }
  std::size_t healed = 0;
  std::string failures;
  // Newest first: undo in the reverse order of application.
  for (auto it = ids.rbegin(); it != ids.rend(); ++it) {
    auto result = heal_one(*it, "heal all");
    if (result) {
      ++healed;
    } else if (result.error().code != ErrorCode::kNotFound) {
      failures += (failures.empty() ? "" : "; ") + result.error().message;
    }
  }
  if (!failures.empty()) return io_error("some faults could not be healed: " + failures);
  return healed;
}

nlohmann::json FaultManager::list() const {
  std::lock_guard lock(mutex_);
  const auto now = Clock::now();
  auto remaining = [&](Clock::time_point t) {
    return std::max<Nanos>(0, std::chrono::duration_cast<std::chrono::nanoseconds>(t - now).count());
  };
  nlohmann::json out = nlohmann::json::array();
  for (const auto& [id, fault] : faults_) {
    nlohmann::json item = {{"id", id},
                           {"kind", fault.record.value("kind", std::string())},
                           {"mechanism", fault.record.value("mechanism", std::string())},
                           {"description", fault.description},
                           {"spec", fault.spec},
                           {"applied_at", fault.applied_at_unix_ms},
                           {"lease_ns", fault.lease},
                           {"lease_remaining_ns", remaining(fault.lease_deadline)},
                           {"owner", fault.owner}};
    if (fault.duration_deadline) item["duration_remaining_ns"] = remaining(*fault.duration_deadline);
    if (!fault.heal_error.empty()) item["heal_error"] = fault.heal_error;
    out.push_back(std::move(item));
  }
  return out;
}

std::size_t FaultManager::renew(std::uint64_t owner) {
  std::size_t renewed = 0;
  {
    std::lock_guard lock(mutex_);
    const auto now = Clock::now();
    for (auto& [id, fault] : faults_)
      if (fault.owner == owner && !fault.healing) {
        fault.lease_deadline = now + std::chrono::nanoseconds(fault.lease);
        ++renewed;
      }
  }
  cv_.notify_all();
  return renewed;
}

std::size_t FaultManager::size() const {
  std::lock_guard lock(mutex_);
  return faults_.size();
}

void FaultManager::reaper_loop() {
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    const auto now = Clock::now();
    std::vector<std::pair<std::string, const char*>> due;
    std::optional<Clock::time_point> next;
    auto consider = [&](Clock::time_point t) {
      if (!next || t < *next) next = t;
    };
    for (auto& [id, fault] : faults_) {
      if (fault.healing) continue;
      if (fault.retry_at) {
        if (*fault.retry_at <= now) due.emplace_back(id, "retry after failed heal");
        else consider(*fault.retry_at);
        continue;
      }
      if (fault.duration_deadline && *fault.duration_deadline <= now) {
        due.emplace_back(id, "duration elapsed");
      } else if (fault.lease_deadline <= now) {
        due.emplace_back(id, "lease expired");
      } else {
        consider(fault.lease_deadline);
        if (fault.duration_deadline) consider(*fault.duration_deadline);
      }
    }
    if (!due.empty()) {
      lock.unlock();
      for (const auto& [id, reason] : due) (void)heal_one(id, reason);
      lock.lock();
      continue;
    }
    if (next) cv_.wait_until(lock, *next);
    else cv_.wait(lock);
  }
}

void FaultManager::shutdown() {
  auto healed = heal_all();
  if (!healed) spdlog::error("shutdown: {}", healed.error().message);
  else spdlog::info("shutdown: healed {} fault(s)", *healed);
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (reaper_.joinable()) reaper_.join();
}

}  // namespace faultline::agent
