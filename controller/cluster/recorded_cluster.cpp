#include "controller/cluster/recorded_cluster.h"

#include <fstream>
#include <random>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <openssl/rand.h>

#include "controller/cluster/client_records.h"

namespace faultline::controller {

RecordedCluster::RecordedCluster(nlohmann::json state, std::filesystem::path file, std::vector<NodeInfo> nodes,
                                 Down down, std::function<void()> before_teardown)
    : state_(std::move(state)),
      file_(std::move(file)),
      nodes_(std::move(nodes)),
      down_(std::move(down)),
      before_teardown_(std::move(before_teardown)),
      id_(state_.value("id", std::string())) {}

RecordedCluster::~RecordedCluster() {
  if (!released_) (void)teardown();
}

Result<void> RecordedCluster::teardown() {
  if (torn_down_) return ok_result();
  torn_down_ = true;
  auto leftovers = kill_recorded_clients(state_);
  if (before_teardown_) before_teardown_();
  auto down = down_(state_);
  if (leftovers.empty()) return down;
  std::string message = fmt::format("client processes left: {}", fmt::join(leftovers, "; "));
  if (!down) message += "; " + down.error().message;
  return io_error(message);
}

Result<void> RecordedCluster::remember(const std::string& key, const nlohmann::json& value) {
  state_[key] = value;
  return write_state_file(state_, file_);
}

std::string random_hex(std::size_t bytes) {
  std::vector<unsigned char> buffer(bytes);
  if (RAND_bytes(buffer.data(), static_cast<int>(bytes)) != 1) {
    std::random_device rd;
    for (auto& b : buffer) b = static_cast<unsigned char>(rd());
  }
  std::string out;
  for (auto b : buffer) out += fmt::format("{:02x}", b);
  return out;
}

Result<void> write_state_file(const nlohmann::json& state, const std::filesystem::path& file) {
  std::error_code ec;
  std::filesystem::create_directories(file.parent_path(), ec);
  auto tmp = file;
  tmp += ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    if (!out) return io_error(fmt::format("{}: cannot write cluster state", tmp.string()));
    out << state.dump(2) << "\n";
    out.flush();
    if (!out) return io_error(fmt::format("{}: cannot write cluster state", tmp.string()));
  }
  std::filesystem::rename(tmp, file, ec);
  if (ec) return io_error(fmt::format("{}: {}", file.string(), ec.message()));
  return ok_result();
}

Result<void> finish_down(const nlohmann::json& state, const std::vector<std::string>& problems) {
  if (!problems.empty()) {
    std::string message = "could not remove everything:";
    for (const auto& p : problems) message += "\n  " + p;
    return io_error(message);
  }
  std::error_code ec;
  std::filesystem::path file = state.contains("state_file") ? std::filesystem::path(state["state_file"].get<std::string>())
                                                            : cluster_state_dir() / (state.value("id", std::string()) + ".json");
  std::filesystem::remove(file, ec);
  return ok_result();
}

}  // namespace faultline::controller
