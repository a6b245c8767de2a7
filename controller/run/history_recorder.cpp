#include "controller/run/history_recorder.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <limits>
#include <vector>

#include <unistd.h>

#include <fmt/format.h>

namespace faultline::controller {
namespace {

std::string line_of(Nanos time, const nlohmann::json& event) {
  nlohmann::json body = event;
  body.erase("time");
  std::string rest = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return fmt::format("{{\"time\":{}{}{}\n", time, rest.size() > 2 ? "," : "", rest.substr(1));
}

// The time of a line this recorder wrote ({"time":N,...}).
Nanos time_of(const std::string& line) { return std::strtoll(line.c_str() + 8, nullptr, 10); }

}  // namespace

HistoryRecorder::~HistoryRecorder() { (void)close(); }

Result<void> HistoryRecorder::open(const std::filesystem::path& path, Clock clock, Nanos reorder_window) {
  std::lock_guard lock(mutex_);
  file_ = std::fopen(path.c_str(), "w");
  if (!file_) return io_error(fmt::format("{}: cannot create: {}", path.string(), std::strerror(errno)));
  path_ = path;
  clock_ = std::move(clock);
  window_ = reorder_window;
  closing_ = false;
  const Nanos period = std::clamp<Nanos>(reorder_window / 4, 1'000'000, 50'000'000);
  flusher_ = std::thread([this, period] {
    std::unique_lock lock(mutex_);
    while (!closing_) {
      wake_.wait_for(lock, std::chrono::nanoseconds(period));
      if (closing_) break;
      write_until(clock_() - window_, lock);
    }
  });
  return ok_result();
}

Nanos HistoryRecorder::record(Nanos time, const nlohmann::json& event) {
  std::string line = line_of(time, event);
  std::lock_guard lock(mutex_);
  if (!file_) return time;
  ++count_;
  last_time_ = std::max(last_time_, time);
  if (time < last_written_) {
    // Later than the window: it can no longer go in its place now.
    std::fwrite(line.data(), 1, line.size(), file_);
    std::fflush(file_);
    ++late_;
    return time;
  }
  pending_.emplace(std::make_pair(time, arrivals_++), std::move(line));
  return time;
}

void HistoryRecorder::flush_due() {
  std::unique_lock lock(mutex_);
  if (file_) write_until(clock_() - window_, lock);
}

void HistoryRecorder::write_until(Nanos limit, std::unique_lock<std::mutex>&) {
  bool wrote = false;
  while (!pending_.empty() && pending_.begin()->first.first <= limit) {
    auto node = pending_.extract(pending_.begin());
    std::fwrite(node.mapped().data(), 1, node.mapped().size(), file_);
    last_written_ = std::max(last_written_, node.key().first);
    wrote = true;
  }
  if (wrote) std::fflush(file_);
}

Nanos HistoryRecorder::last_time() const {
  std::lock_guard lock(mutex_);
  return last_time_;
}

Result<void> HistoryRecorder::rewrite_sorted() {
  std::ifstream in(path_);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);)
    if (!line.empty()) lines.push_back(std::move(line));
  in.close();
  std::stable_sort(lines.begin(), lines.end(),
                   [](const std::string& a, const std::string& b) { return time_of(a) < time_of(b); });
  auto tmp = path_;
  tmp += ".sorting";
  std::FILE* out = std::fopen(tmp.c_str(), "w");
  if (!out) return io_error(fmt::format("{}: cannot create: {}", tmp.string(), std::strerror(errno)));
  for (const auto& line : lines) {
    std::fwrite(line.data(), 1, line.size(), out);
    std::fputc('\n', out);
  }
  std::fflush(out);
  ::fsync(fileno(out));
  std::fclose(out);
  std::error_code ec;
  std::filesystem::rename(tmp, path_, ec);
  if (ec) return io_error(fmt::format("{}: {}", path_.string(), ec.message()));
  return ok_result();
}

Result<void> HistoryRecorder::close() {
  {
    std::unique_lock lock(mutex_);
    closing_ = true;
  }
  wake_.notify_all();
  if (flusher_.joinable()) flusher_.join();
  std::unique_lock lock(mutex_);
  if (!file_) return ok_result();
  write_until(std::numeric_limits<Nanos>::max(), lock);
  const bool synced = ::fsync(fileno(file_)) == 0;
  const bool closed = std::fclose(file_) == 0;
  file_ = nullptr;
  if (!synced || !closed) return io_error(fmt::format("{}: cannot finish writing: {}", path_.string(), std::strerror(errno)));
  if (late_.load() > 0) return rewrite_sorted();
  return ok_result();
}

}  // namespace faultline::controller
