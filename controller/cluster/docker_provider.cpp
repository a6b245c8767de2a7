#include "controller/cluster/docker_provider.h"

#include <cstdlib>
#include <fstream>
#include <random>
#include <sstream>

#include <arpa/inet.h>
#include <unistd.h>

#include <fmt/format.h>

#include "controller/cluster/compose_nodes.h"
#include "controller/cluster/recorded_cluster.h"
#include "controller/cluster/tcp_wait.h"

namespace faultline::controller {
namespace {

std::string env_or(const char* name, const std::string& fallback) {
  const char* v = std::getenv(name);
  return v && *v ? std::string(v) : fallback;
}

std::string trim(std::string s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.pop_back();
  std::size_t i = 0;
  while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i]))) ++i;
  return s.substr(i);
}

bool is_ipv4(const std::string& s) {
  in_addr a{};
  return ::inet_pton(AF_INET, s.c_str(), &a) == 1;
}

std::string project_of(const ClusterConfig& config) {
  return config.options.value("project", env_or("COMPOSE_PROJECT_NAME", "docker"));
}

std::filesystem::path token_file_of(const ClusterConfig& config) {
  if (config.options.contains("token_file")) return config.options["token_file"].get<std::string>();
  if (const char* env = std::getenv("FAULTLINE_AGENT_TOKEN_FILE"); env && *env) return env;
  if (std::filesystem::exists("/run/secrets/agent_token")) return "/run/secrets/agent_token";
  return "docker/agent-token";
}

}  // namespace

Result<std::map<std::string, std::string>> parse_docker_nodes(const std::string& text) {
  std::map<std::string, std::string> out;
  std::istringstream in(text);
  std::string entry;
  while (std::getline(in, entry, ',')) {
    entry = trim(entry);
    if (entry.empty()) continue;
    auto eq = entry.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == entry.size())
      return invalid_input(fmt::format("FAULTLINE_DOCKER_NODES: '{}': expected NAME=ADDRESS", entry));
    auto address = entry.substr(eq + 1);
    if (!is_ipv4(address))
      return invalid_input(fmt::format("FAULTLINE_DOCKER_NODES: '{}': '{}' is not an IPv4 address", entry, address));
    out[entry.substr(0, eq)] = address;
  }
  return out;
}

Result<void> DockerProvider::validate(const ClusterConfig& config) const {
  if (config.options.is_object()) {
    for (auto& [key, value] : config.options.items()) {
      if (key == "agent_port") {
        if (!value.is_number_integer() || value.get<int>() < 1 || value.get<int>() > 65535)
          return invalid_input("cluster.options.agent_port: expected a port number");
      } else if (key == "project" || key == "token_file" || key == "state_dir" || key == "data_dir" ||
                 key == "network") {
        if (!value.is_string() || value.get<std::string>().empty())
          return invalid_input(fmt::format("cluster.options.{}: expected a non-empty string", key));
      } else if (key == "services") {
        if (!value.is_object()) return invalid_input("cluster.options.services: expected a map of node: service");
        for (auto& [node, service] : value.items())
          if (!service.is_string() || service.get<std::string>().empty())
            return invalid_input(fmt::format("cluster.options.services.{}: expected a service name", node));
      } else {
        return invalid_input(fmt::format("cluster.options.{}: unknown option for the docker provider (project, "
                                         "network, services, agent_port, token_file, state_dir, data_dir)",
                                         key));
      }
    }
  }
  if (const char* env = std::getenv("FAULTLINE_DOCKER_NODES"); env && *env) {
    auto nodes = parse_docker_nodes(env);
    if (!nodes) return nodes.error();
    for (const auto& n : config.nodes)
      if (!nodes->count(n)) return invalid_input(fmt::format("cluster.nodes: {} is not in FAULTLINE_DOCKER_NODES ({})", n, env));
  }
  return ok_result();
}

Result<std::unique_ptr<Cluster>> DockerProvider::up(const ClusterConfig& config, const ProviderOptions& options) {
  if (auto v = validate(config); !v) return v.error();
  const std::string project = project_of(config);
  const auto agent_port = static_cast<std::uint16_t>(config.options.value("agent_port", 7070));
  const std::string state_dir = config.options.value("state_dir", std::string("/var/lib/faultline/state"));
  const std::string data_dir = config.options.value("data_dir", std::string("/var/lib/faultline/data"));
  const auto token_path = token_file_of(config);
  std::string token;
  {
    std::ifstream in(token_path);
    if (!in)
      return unavailable(fmt::format("{}: cannot read the agents' token (set cluster.options.token_file or "
                                     "FAULTLINE_AGENT_TOKEN_FILE)",
                                     token_path.string()));
    std::getline(in, token, '\0');
    token = trim(token);
    if (token.empty()) return invalid_input(fmt::format("{}: the agents' token file is empty", token_path.string()));
  }
  std::map<std::string, std::string> from_env;
  if (const char* env = std::getenv("FAULTLINE_DOCKER_NODES"); env && *env) from_env = *parse_docker_nodes(env);

  const auto services = config.options.value("services", nlohmann::json::object());
  std::vector<NodeInfo> nodes;
  nlohmann::json recorded = nlohmann::json::array();
  std::vector<std::string> limits;
  for (const auto& name : config.nodes) {
    if (options.interrupted && options.interrupted()) return unavailable("interrupted while finding the docker nodes");
    std::string address;
    if (!from_env.empty()) {
      address = from_env[name];
    } else {
      ComposeQuery query{project, name, services.value(name, name), config.options.value("network", std::string())};
      auto found = find_compose_node(query);
      if (!found) return found.error();
      address = found->address;
      auto lacks = find_node_limits(*found, options.fault_kinds);
      if (!lacks) return Error{lacks.error().code, fmt::format("node {}: {}", name, lacks.error().message)};
      for (const auto& l : *lacks) limits.push_back(fmt::format("node {}: {}", name, l));
    }
    NodeInfo node;
    node.name = name;
    node.address = address;
    node.agent = {address, agent_port, token};
    node.state_dir = state_dir;
    node.data_dir = data_dir;
    node.events = state_dir + "/events.sock";
    nodes.push_back(node);
    recorded.push_back({{"name", name}, {"address", address}, {"agent_port", agent_port}});
  }
  if (!limits.empty()) {
    std::string all;
    for (const auto& l : limits) all += (all.empty() ? "" : "\n  ") + l;
    return invalid_input(fmt::format("these nodes cannot serve the suite's faults (nothing was injected):\n  {}", all));
  }
  for (const auto& node : nodes)
    if (!wait_for_tcp(node.address, agent_port, 60'000'000'000, options.interrupted))
      return unavailable(fmt::format("node {}: no faultline-agent accepting connections on {}:{} (is the compose "
                                     "project '{}' up and healthy?)",
                                     node.name, node.address, agent_port, project));

  std::string id = options.cluster_id;
  if (id.empty()) {
    std::random_device rd;
    id = fmt::format("dk{:06x}", rd() & 0xffffff);
  }
  const auto file = cluster_state_dir() / (id + ".json");
  nlohmann::json state{{"provider", "docker"}, {"id", id}, {"project", project}, {"nodes", recorded},
                       {"created_by_pid", ::getpid()}, {"state_file", file.string()}};
  std::error_code ec;
  std::filesystem::create_directories(file.parent_path(), ec);
  {
    std::ofstream out(file, std::ios::trunc);
    if (!out) return io_error(fmt::format("{}: cannot write cluster state", file.string()));
    out << state.dump(2) << "\n";
  }
  return std::unique_ptr<Cluster>(std::make_unique<RecordedCluster>(state, file, std::move(nodes), [this](const nlohmann::json& s) { return down(s); }));
}

Result<void> DockerProvider::down(const nlohmann::json& state) {
  std::error_code ec;
  if (state.contains("state_file")) std::filesystem::remove(state["state_file"].get<std::string>(), ec);
  return ok_result();
}

nlohmann::json DockerProvider::status(const nlohmann::json& state) {
  nlohmann::json out{{"id", state.value("id", "")}, {"provider", "docker"}, {"project", state.value("project", "")}};
  auto nodes = nlohmann::json::array();
  if (state.contains("nodes"))
    for (const auto& node : state["nodes"]) {
      nlohmann::json n{{"name", node.value("name", "")}, {"address", node.value("address", "")}};
      n["agent_listening"] = wait_for_tcp(node.value("address", ""), node.value("agent_port", 7070), 300'000'000);
      nodes.push_back(n);
    }
  out["nodes"] = nodes;
  return out;
}

FAULTLINE_REGISTER_PROVIDER("docker", DockerProvider);

}  // namespace faultline::controller
