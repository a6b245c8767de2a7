// ReplicaStore: this node's replica of the register store, persisted.
//
// Contract: each key holds a value and a timestamp (counter, writer node),
// ordered lexicographically; put() applies a value only when its timestamp
// is newer than the stored one (ABD). Every applied put is first appended
// to `<dir>/store.log` (one JSON line, fdatasync'd); if that write or its
// fdatasync fails (ENOSPC under disk-fill, EIO under disk-error) the
// put is refused with kIo, the line is cut from the log and memory is
// unchanged. open() replays the log, so a restarted node keeps
// its data. A missing key reads as "" at timestamp (0, ""). Thread-safe.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <mutex>
#include <string>

#include "common/result.h"

namespace faultline::demo {

struct Stamp {
  std::int64_t counter = 0;
  std::string node;
  auto operator<=>(const Stamp&) const = default;
};

struct Versioned {
  std::string value;
  Stamp stamp;
};

class ReplicaStore {
 public:
  ~ReplicaStore();
  // An empty dir keeps the replica in memory only.
  Result<void> open(const std::filesystem::path& dir);
  Versioned get(const std::string& key);
  Result<void> put(const std::string& key, const Versioned& v);

 private:
  std::mutex mu_;
  std::map<std::string, Versioned> data_;
  int fd_ = -1;
};

}  // namespace faultline::demo
