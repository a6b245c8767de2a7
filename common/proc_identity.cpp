#include "faults/process/proc_identity.h"

#include <fstream>
#include <sstream>
#include <string>

#include <fmt/format.h>

namespace faultline::faults {
namespace {

// Returns false when the process is gone or a zombie.
bool read_stat(pid_t pid, char& state, std::uint64_t& start_time) {
  std::ifstream in(fmt::format("/proc/{}/stat", pid));
  std::string line;
  if (!std::getline(in, line)) return false;
  auto close = line.rfind(')');  // comm may hold spaces and parentheses
  if (close == std::string::npos) return false;
  std::istringstream rest(line.substr(close + 2));
  std::string field;
  rest >> state;
  // fields 4..21, then 22 = starttime; state was field 3
  for (int i = 4; i <= 21; ++i) rest >> field;
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

}  // namespace faultline::faults
