// RecordedCluster: the Cluster every provider returns, plus the two helpers
// each provider needs to keep its state record.
//
// Contract: a RecordedCluster holds the nodes and the state record a provider
// wrote while bringing them up. teardown() runs `before_teardown` (if any,
// e.g. stop SSH forwarders) and then `down(state)`, once; later calls return
// success. The destructor tears down unless release() was called (`faultline
// cluster up` keeps the cluster). `down` must not refer to an object that can
// die before the cluster (providers capture themselves only where they outlive
// it, or use a fresh stateless provider).
// write_state_file() replaces the file atomically (write to .tmp, rename), so
// a crash never leaves a half-written record; random_hex() draws from OpenSSL.
#pragma once

#include <cstddef>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/result.h"
#include "controller/cluster/provider.h"

namespace faultline::controller {

class RecordedCluster : public Cluster {
 public:
  using Down = std::function<Result<void>(const nlohmann::json& state)>;

  RecordedCluster(nlohmann::json state, std::filesystem::path file, std::vector<NodeInfo> nodes, Down down,
                  std::function<void()> before_teardown = {});
  ~RecordedCluster() override;

  const std::string& id() const override { return id_; }
  const std::vector<NodeInfo>& nodes() const override { return nodes_; }
  std::filesystem::path state_file() const override { return file_; }
  Result<void> teardown() override;
  void release() override { released_ = true; }
  Result<void> remember(const std::string& key, const nlohmann::json& value) override;

 private:
  nlohmann::json state_;
  std::filesystem::path file_;
  std::vector<NodeInfo> nodes_;
  Down down_;
  std::function<void()> before_teardown_;
  std::string id_;
  bool released_ = false;
  bool torn_down_ = false;
};

std::string random_hex(std::size_t bytes);
Result<void> write_state_file(const nlohmann::json& state, const std::filesystem::path& file);
// The end of every provider's down(): with no problems, removes the state file
// (the record's "state_file", else cluster_state_dir()/<id>.json) and succeeds;
// otherwise keeps it and returns one error listing every problem.
Result<void> finish_down(const nlohmann::json& state, const std::vector<std::string>& problems);

}  // namespace faultline::controller
