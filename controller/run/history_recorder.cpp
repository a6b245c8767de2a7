#include "controller/run/history_recorder.h"

#include <cerrno>
#include <cstring>
#include <unistd.h>

#include <fmt/format.h>

namespace faultline::controller {

HistoryRecorder::~HistoryRecorder() { close(); }

Result<void> HistoryRecorder::open(const std::filesystem::path& path) {
  std::lock_guard lock(mutex_);
  file_ = std::fopen(path.c_str(), "w");
  if (!file_) return io_error(fmt::format("{}: cannot create: {}", path.string(), std::strerror(errno)));
  path_ = path;
  return ok_result();
}

Nanos HistoryRecorder::record(Nanos time, const nlohmann::json& event) {
  std::lock_guard lock(mutex_);
  if (!file_) return time;
  nlohmann::json body = event;
  body.erase("time");
  if (time < last_time_) {
    body["time_estimate"] = time;
    time = last_time_;
  }
  last_time_ = time;
  std::string rest = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  std::string line = fmt::format("{{\"time\":{}{}{}\n", time, rest.size() > 2 ? "," : "", rest.substr(1));
  std::fwrite(line.data(), 1, line.size(), file_);
  std::fflush(file_);
  ++count_;
  return time;
}

Nanos HistoryRecorder::last_time() const {
  std::lock_guard lock(mutex_);
  return last_time_;
}

void HistoryRecorder::close() {
  std::lock_guard lock(mutex_);
  if (file_) {
    std::fflush(file_);
    ::fsync(fileno(file_));
    std::fclose(file_);
    file_ = nullptr;
  }
}

}  // namespace faultline::controller
