// HistoryRecorder: writes history.jsonl as the run goes, in time order.
//
// Contract:
//  - record(time, event) takes the event's best estimate of when it happened
//    on the controller timeline (nanoseconds since the history began),
//    which may be earlier than events already recorded (an agent's event
//    that was on the wire, a client op stamped by the client). The line is
//    written exactly with that "time" (the first key); no time is ever
//    moved.
//  - Lines wait in a reorder buffer until they are older than the reorder
//    window (default 1 s) on the recorder's clock, then a flusher thread
//    writes them in (time, arrival) order and flushes them to the kernel
//    (every 50 ms at most). So the file grows in time order, and equal times
//    keep the order of record() calls, which is the causal order.
//  - A line that arrives after lines with a later time were already written
//    (it was later than the window) is written at once and counted in
//    late_count(); close() then rewrites the file in stable time order
//    (through a temporary file renamed over it). After close() the file is
//    always in time order.
//  - A controller killed midway leaves a file of whole lines: everything
//    but the last reorder window, in time order except late lines (readers
//    that sort by time, as faultline's do, read it exactly).
//  - record() is thread-safe and returns the time it was given.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <utility>

#include <nlohmann/json.hpp>

#include "common/result.h"
#include "common/units.h"

namespace faultline::controller {

class HistoryRecorder {
 public:
  using Clock = std::function<Nanos()>;  // now, on the history's timeline

  HistoryRecorder() = default;
  ~HistoryRecorder();
  HistoryRecorder(const HistoryRecorder&) = delete;
  HistoryRecorder& operator=(const HistoryRecorder&) = delete;

  Result<void> open(const std::filesystem::path& path, Clock clock, Nanos reorder_window = 1'000'000'000);
  Nanos record(Nanos time, const nlohmann::json& event);
  // Writes every buffered line older than clock() - window (the flusher
  // thread calls this; tests may too).
  void flush_due();
  // Writes what is left, syncs, and sorts the file if a late line came;
  // an Error when the file could not be finished. Idempotent.
  Result<void> close();

  std::uint64_t count() const { return count_.load(); }
  std::uint64_t late_count() const { return late_.load(); }
  Nanos last_time() const;  // the latest time recorded
  const std::filesystem::path& path() const { return path_; }

 private:
  void write_until(Nanos limit, std::unique_lock<std::mutex>& lock);
  Result<void> rewrite_sorted();

  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::FILE* file_ = nullptr;
  std::filesystem::path path_;
  Clock clock_;
  Nanos window_ = 0;
  std::map<std::pair<Nanos, std::uint64_t>, std::string> pending_;  // (time, arrival) -> line
  std::uint64_t arrivals_ = 0;
  Nanos last_written_ = 0;
  Nanos last_time_ = 0;
  bool closing_ = false;
  std::thread flusher_;
  std::atomic<std::uint64_t> count_{0};
  std::atomic<std::uint64_t> late_{0};
};

}  // namespace faultline::controller
