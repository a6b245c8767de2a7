#include "controller/cluster/provider.h"

#include <cstdlib>
#include <fstream>
#include <mutex>

#include <fmt/format.h>

namespace faultline::controller {
namespace {

std::map<std::string, ProviderFactory>& registry() {
  static std::map<std::string, ProviderFactory> map;
  return map;
}

}  // namespace

void register_provider(const std::string& name, ProviderFactory factory) { registry()[name] = std::move(factory); }

std::unique_ptr<Provider> make_provider(const std::string& name) {
  auto it = registry().find(name);
  return it == registry().end() ? nullptr : it->second();
}

std::vector<std::string> provider_names() {
  std::vector<std::string> names;
  for (const auto& [name, factory] : registry()) names.push_back(name);
  return names;
}

std::filesystem::path cluster_state_dir() {
  const char* env = std::getenv("FAULTLINE_STATE_DIR");
  return env && *env ? std::filesystem::path(env) : std::filesystem::path("/run/faultline/clusters");
}

Result<nlohmann::json> read_cluster_state(const std::string& id_or_path) {
  std::filesystem::path path = id_or_path;
  if (id_or_path.find('/') == std::string::npos && id_or_path.find(".json") == std::string::npos)
    path = cluster_state_dir() / (id_or_path + ".json");
  std::ifstream in(path);
  if (!in) return Error{ErrorCode::kNotFound, fmt::format("{}: no such cluster state file", path.string())};
  try {
    auto state = nlohmann::json::parse(in);
    state["state_file"] = path.string();
    return state;
  } catch (const nlohmann::json::exception& e) {
    return invalid_input(fmt::format("{}: not a cluster state file: {}", path.string(), e.what()));
  }
}

std::vector<std::filesystem::path> list_cluster_states() {
  std::vector<std::filesystem::path> out;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(cluster_state_dir(), ec))
    if (entry.path().extension() == ".json") out.push_back(entry.path());
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace faultline::controller
