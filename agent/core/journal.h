// Journal: the agent's durable record of applied faults (DESIGN.md "No fault
// outlives its owner").
//
// Contract: the journal is a JSONL file in the state dir. append_applied()
// writes {"op":"applied","id":..,"record":HealRecord,"spec":..,"applied_at_unix_ms":..}
// and fsyncs it before returning, so the caller may apply only after it
// returned ok. append_healed() writes {"op":"healed","id":..} and fsyncs.
// load() returns the entries whose last word is "applied", in journal order;
// a torn last line (crash mid-write) and unparseable lines are skipped and
// counted. compact() atomically replaces the file (write temp, fsync, rename,
// fsync dir) with the given still-applied entries. Thread-safe.
#pragma once

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

struct JournalLoad {
  std::vector<JournalEntry> still_applied;
  std::size_t skipped_lines = 0;
};

class Journal {
 public:
  explicit Journal(std::filesystem::path path) : path_(std::move(path)) {}
  ~Journal();

  const std::filesystem::path& path() const { return path_; }

  Result<JournalLoad> load() const;
  Result<void> open();  // opens for appending (creates the file)
  Result<void> append_applied(const JournalEntry& entry);
  Result<void> append_healed(const std::string& id);
  Result<void> compact(const std::vector<JournalEntry>& still_applied);

 private:
  Result<void> append_line(const std::string& line);

  std::filesystem::path path_;
  mutable std::mutex mutex_;
  int fd_ = -1;
};

nlohmann::json journal_entry_to_json(const JournalEntry& entry);

}  // namespace faultline::agent
