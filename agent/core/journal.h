// Journal: the agent's durable record of applied faults (docs/design.md "No fault
// outlives its owner").
//
// Contract: the journal is a JSONL file in the state dir. append_applied()
// writes {"op":"applied","id":..,"record":HealRecord,"spec":..,"applied_at_unix_ms":..};
// with Durability::kSynced it is on stable storage before the call returns
// (write + fdatasync), with kCrashSafe it is in the kernel's page cache, which
// outlives a crash of the agent but not of the host (for faults a reboot
// clears anyway: Mechanism::survives_reboot). Either way the caller may apply
// only after it returned ok. append_healed() writes {"op":"healed","id":..}
// the same way. The file is
// preallocated by chunks of blank lines (really written, so that a record's
// write changes no metadata and its sync flushes the record alone, not the
// filesystem journal); records overwrite the padding in order, each ended by
// the newline after it. Readers skip blank lines. load() returns the entries
// whose last word is "applied", in journal order; a torn line (crash
// mid-write) and unparseable lines are skipped and counted; open() appends
// after the last record, leaving a torn line ended. compact() atomically
// replaces the file (write temp, fsync, rename, fsync dir) with the given
// still-applied entries. Thread-safe.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <mutex>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/result.h"

namespace faultline::agent {

struct JournalEntry {
  std::string id;
  nlohmann::json record;  // the HealRecord (has "kind" and "mechanism")
  nlohmann::json spec;    // the spec as the user wrote it
  std::int64_t applied_at_unix_ms = 0;
};

// How far a record must be written before append_* returns.
enum class Durability {
  kSynced,     // on disk: outlives a reboot of the host
  kCrashSafe,  // in the page cache: outlives a crash of the agent
};

struct JournalLoad {
  std::vector<JournalEntry> still_applied;
  std::size_t skipped_lines = 0;
};

class Journal {
 public:
  static constexpr std::size_t kPreallocateBytes = 64 * 1024;

  explicit Journal(std::filesystem::path path) : path_(std::move(path)) {}
  ~Journal();

  const std::filesystem::path& path() const { return path_; }

  Result<JournalLoad> load() const;
  Result<void> open();  // opens for appending (creates the file)
  Result<void> append_applied(const JournalEntry& entry, Durability durability = Durability::kSynced);
  Result<void> append_healed(const std::string& id, Durability durability = Durability::kSynced);
  Result<void> compact(const std::vector<JournalEntry>& still_applied);

 private:
  Result<void> append_line(const std::string& line, Durability durability);
  Result<void> open_locked();
  Result<void> preallocate(std::size_t bytes);
  Result<void> sync_locked();

  std::filesystem::path path_;
  mutable std::mutex mutex_;
  int fd_ = -1;
  off_t offset_ = 0;  // where the next record goes
  off_t size_ = 0;    // the file's size (records and padding)
};

nlohmann::json journal_entry_to_json(const JournalEntry& entry);

}  // namespace faultline::agent
