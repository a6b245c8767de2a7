#include "common/proc_identity.h"

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include <fmt/format.h>

namespace faultline {
namespace {

// Returns false when the process is gone or a zombie.
bool read_stat(pid_t pid, char& state, std::uint64_t& start_time, pid_t* pgid = nullptr) {
  std::ifstream in(fmt::format("/proc/{}/stat", pid));
  std::string line;
  if (!std::getline(in, line)) return false;
  auto close = line.rfind(')');  // comm may hold spaces and parentheses
  if (close == std::string::npos) return false;
  std::istringstream rest(line.substr(close + 2));
  std::string field;
  rest >> state;
  // field 4 ppid, 5 pgrp, ... 22 starttime; state was field 3
  for (int i = 4; i <= 21; ++i) {
    rest >> field;
    if (i == 5 && pgid) *pgid = static_cast<pid_t>(std::strtol(field.c_str(), nullptr, 10));
  }
  rest >> start_time;
  return static_cast<bool>(rest) && state != 'Z' && state != 'X';
}

}  // namespace

Result<ProcIdentity> ProcIdentity::of(pid_t pid) {
  char state = 0;
  std::uint64_t start = 0;
  if (pid <= 0 || !read_stat(pid, state, start))
    return Error{ErrorCode::kNotFound, fmt::format("process {} is not running", pid)};
  return ProcIdentity{pid, start};
}

bool ProcIdentity::alive() const {
  char state = 0;
  std::uint64_t start = 0;
  return pid > 0 && read_stat(pid, state, start) && start == start_time;
}

std::vector<ProcIdentity> group_members(pid_t pgid) {
  std::vector<ProcIdentity> members;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/proc", ec)) {
    const std::string name = entry.path().filename().string();
    if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) continue;
    pid_t pid = static_cast<pid_t>(std::stol(name));
    char state = 0;
    std::uint64_t start = 0;
    pid_t group = 0;
    if (read_stat(pid, state, start, &group) && group == pgid) members.push_back({pid, start});
  }
  return members;
}

}  // namespace faultline
