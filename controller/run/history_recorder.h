// HistoryRecorder: writes history.jsonl as the run goes.
//
// Contract: record() appends one event (a JSON object with "type"; the
// recorder adds "time", nanoseconds on the controller timeline, as the first
// key) and flushes the line to the kernel before returning, so a controller
// killed at any moment leaves a readable prefix. Lines are written in call
// order, which is the causal order for events with equal time; record() is
// thread-safe. Times given are clamped so that the file's times never go
// backwards (a late SUT event mapped slightly into the past is written at the
// current last time, with its original estimate kept as "time_estimate").
#pragma once

#include <atomic>
#include <cstdio>
#include <filesystem>
#include <mutex>

#include <nlohmann/json.hpp>

#include "common/result.h"
#include "common/units.h"

namespace faultline::controller {

class HistoryRecorder {
 public:
  HistoryRecorder() = default;
  ~HistoryRecorder();
  HistoryRecorder(const HistoryRecorder&) = delete;
  HistoryRecorder& operator=(const HistoryRecorder&) = delete;

  Result<void> open(const std::filesystem::path& path);
  // Writes {"time": time, ...event}. Returns the time written.
  Nanos record(Nanos time, const nlohmann::json& event);
  void close();

  std::uint64_t count() const { return count_.load(); }
  Nanos last_time() const;
  const std::filesystem::path& path() const { return path_; }

 private:
  mutable std::mutex mutex_;
  std::FILE* file_ = nullptr;
  std::filesystem::path path_;
  Nanos last_time_ = 0;
  std::atomic<std::uint64_t> count_{0};
};

}  // namespace faultline::controller
