#include "controller/run/run_context.h"

#include <algorithm>

#include <fmt/format.h>

namespace faultline::controller {

void ActiveFaults::add(ActiveFault fault) {
  std::lock_guard lock(mutex_);
  faults_.push_back(std::move(fault));
}

std::optional<ActiveFault> ActiveFaults::take(const ScheduledFault* fault) {
  std::lock_guard lock(mutex_);
  auto it = std::find_if(faults_.begin(), faults_.end(), [&](const ActiveFault& a) { return a.fault == fault; });
  if (it == faults_.end()) return std::nullopt;
  ActiveFault taken = std::move(*it);
  faults_.erase(it);
  return taken;
}

std::vector<ActiveFault> ActiveFaults::take_all() {
  std::lock_guard lock(mutex_);
  return std::exchange(faults_, {});
}

std::string ActiveFaults::labels() const {
  std::lock_guard lock(mutex_);
  std::string out;
  for (const auto& a : faults_) out += (out.empty() ? "" : " ") + fmt::format("{}:{}", a.fault->kind(), a.fault->id);
  return out;
}

void RunContext::log(const std::string& message) {
  if (history_begun()) history.record(now(), {{"type", "log"}, {"message", message}});
}

void RunContext::error(const std::string& message) {
  {
    std::lock_guard lock(summary_mutex);
    summary.errors.push_back(message);
  }
  console.line("error: " + message);
  log("error: " + message);
}

void RunContext::warn(const std::string& message) {
  {
    std::lock_guard lock(summary_mutex);
    summary.warnings.push_back(message);
  }
  console.line("warning: " + message);
  log("warning: " + message);
}

std::vector<NodeInfo> RunContext::node_infos() const {
  std::vector<NodeInfo> infos;
  for (const auto& l : links) infos.push_back(l.info);
  return infos;
}

std::map<std::string, std::size_t> RunContext::node_index() const {
  std::map<std::string, std::size_t> index;
  for (std::size_t i = 0; i < links.size(); ++i) index[links[i].info.name] = i;
  return index;
}

}  // namespace faultline::controller
