#include "faults/process/cgroup.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <vector>

#include <fmt/format.h>

namespace faultline::faults::cgroup {
namespace {

bool has_token(const std::string& list, const std::string& token, char sep) {
  std::stringstream in(list);
  std::string item;
  while (std::getline(in, item, sep))
    if (item == token) return true;
  return false;
}

}  // namespace

Result<std::string> read_file(const std::filesystem::path& file) {
  std::ifstream in(file);
  if (!in) return io_error(fmt::format("cannot read {}: {}", file.string(), std::strerror(errno)));
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

Result<void> write_file(const std::filesystem::path& file, const std::string& value) {
  int fd = ::open(file.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) return io_error(fmt::format("cannot open {}: {}", file.string(), std::strerror(errno)));
  ssize_t n = ::write(fd, value.data(), value.size());
  int err = errno;
  ::close(fd);
  if (n != static_cast<ssize_t>(value.size()))
    return io_error(fmt::format("writing '{}' to {}: {}", value, file.string(), std::strerror(n < 0 ? err : EIO)));
  return ok_result();
}

Result<std::filesystem::path> find_cpu_cgroup(int version) {
  std::ifstream mounts("/proc/self/mounts");
  std::string line;
  std::string seen;
  while (std::getline(mounts, line)) {
    std::istringstream fields(line);
    std::string dev, mount_point, type, options;
    fields >> dev >> mount_point >> type >> options;
    if (version == 2 && type == "cgroup2") {
      auto controllers = read_file(std::filesystem::path(mount_point) / "cgroup.controllers");
      if (controllers && has_token(controllers->substr(0, controllers->find('\n')), "cpu", ' ')) return std::filesystem::path(mount_point);
      seen = fmt::format("the cgroup v2 hierarchy at {} has no cpu controller (it is bound to cgroup v1 or not "
                         "delegated)", mount_point);
    }
    if (version == 1 && type == "cgroup" && has_token(options, "cpu", ',')) {
      if (std::filesystem::exists(std::filesystem::path(mount_point) / "cpu.cfs_quota_us")) return std::filesystem::path(mount_point);
      seen = fmt::format("the cgroup v1 cpu hierarchy at {} has no cpu.cfs_quota_us (CONFIG_CFS_BANDWIDTH)", mount_point);
    }
  }
  if (seen.empty())
    seen = version == 2 ? "no cgroup v2 filesystem is mounted" : "no cgroup v1 hierarchy with the cpu controller is mounted";
  return unavailable(seen);
}

Result<std::string> cgroup_of(pid_t pid, int version) {
  auto text = read_file(fmt::format("/proc/{}/cgroup", pid));
  if (!text) return text.error();
  std::istringstream in(*text);
  std::string line;
  while (std::getline(in, line)) {
    auto first = line.find(':'), second = line.find(':', first + 1);
    if (first == std::string::npos || second == std::string::npos) continue;
    std::string hierarchy = line.substr(0, first), controllers = line.substr(first + 1, second - first - 1);
    std::string path = line.substr(second + 1);
    if (version == 2 && hierarchy == "0" && controllers.empty()) return path;
    if (version == 1 && has_token(controllers, "cpu", ',')) return path;
  }
  return Error{ErrorCode::kNotFound, fmt::format("process {} has no cgroup v{} cpu entry", pid, version)};
}

}  // namespace faultline::faults::cgroup
