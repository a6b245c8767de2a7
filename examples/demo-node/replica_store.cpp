#include "examples/demo-node/replica_store.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>

#include <nlohmann/json.hpp>

namespace faultline::demo {

ReplicaStore::~ReplicaStore() {
  if (fd_ >= 0) ::close(fd_);
}

Result<void> ReplicaStore::open(const std::filesystem::path& dir) {
  if (dir.empty()) return ok_result();
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  auto path = dir / "store.log";
  {
    std::ifstream in(path);
    std::string line;
    while (std::getline(in, line)) {
      auto j = nlohmann::json::parse(line, nullptr, false);
      if (!j.is_object()) continue;  // a torn last line after a crash
      Versioned v{j.value("v", ""), {j.value("c", std::int64_t{0}), j.value("n", "")}};
      auto& cur = data_[j.value("k", "")];
      if (cur.stamp < v.stamp) cur = v;
    }
  }
  fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd_ < 0) return io_error("open " + path.string() + ": " + std::strerror(errno));
  return ok_result();
}

Versioned ReplicaStore::get(const std::string& key) {
  std::lock_guard lock(mu_);
  auto it = data_.find(key);
  return it == data_.end() ? Versioned{} : it->second;
}

Result<void> ReplicaStore::put(const std::string& key, const Versioned& v) {
  std::lock_guard lock(mu_);
  auto& cur = data_[key];
  if (!(cur.stamp < v.stamp)) return ok_result();
  if (fd_ >= 0) {
    std::string line = nlohmann::json{{"k", key}, {"v", v.value}, {"c", v.stamp.counter}, {"n", v.stamp.node}}.dump() + "\n";
    ssize_t n = ::write(fd_, line.data(), line.size());
    const bool written = n == static_cast<ssize_t>(line.size());
    if (!written || ::fdatasync(fd_) != 0) {
      std::string why = n < 0 ? std::strerror(errno) : written ? std::string("fdatasync: ") + std::strerror(errno) : "short write";
      // Drop the line (torn, or whole but not known durable): a refused put
      // must not come back when the log is replayed.
      if (n > 0) (void)::ftruncate(fd_, ::lseek(fd_, 0, SEEK_END) - n);
      return io_error("store.log: " + why);
    }
  }
  cur = v;
  return ok_result();
}

}  // namespace faultline::demo
