#include "controller/cluster/client_records.h"

#include <csignal>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <thread>

#include <fmt/format.h>

#include "common/proc_identity.h"
#include "common/units.h"

namespace faultline::controller {
namespace {

// The members of the recorded group that are still ours (see the contract).
std::vector<ProcIdentity> our_members(const ProcIdentity& leader, pid_t pgid) {
  auto current = ProcIdentity::of(leader.pid);
  if (current && current->start_time != leader.start_time) return {};  // the id is someone else's now
  std::vector<ProcIdentity> ours;
  for (const auto& m : group_members(pgid))
    if (m.start_time >= leader.start_time) ours.push_back(m);
  return ours;
}

}  // namespace

std::vector<std::string> kill_recorded_clients(const nlohmann::json& state) {
  std::vector<std::string> problems;
  auto it = state.find("clients");
  if (it == state.end() || !it->is_array()) return problems;
  for (const auto& record : *it) {
    if (!record.is_object()) continue;
    ProcIdentity leader{record.value("pid", -1), record.value("start_time", std::uint64_t{0})};
    const pid_t pgid = record.value("pgid", leader.pid);
    if (leader.pid <= 0 || pgid <= 0) continue;
    auto members = our_members(leader, pgid);
    for (const auto& m : members)
      if (::kill(m.pid, SIGKILL) != 0 && errno != ESRCH)
        problems.push_back(fmt::format("client process {}: kill: {}", m.pid, std::strerror(errno)));
    const Nanos deadline = monotonic_now() + 2'000'000'000;
    while (!our_members(leader, pgid).empty() && monotonic_now() < deadline)
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    if (!our_members(leader, pgid).empty())
      problems.push_back(fmt::format("client process group {}: still running after SIGKILL", pgid));
  }
  return problems;
}

}  // namespace faultline::controller
