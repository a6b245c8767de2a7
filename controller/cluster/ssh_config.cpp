#include "controller/cluster/ssh_config.h"

#include <cstdlib>
#include <filesystem>
#include <set>

#include <fmt/format.h>

namespace faultline::controller {
namespace {

constexpr const char* kField = "cluster.options";

Error bad(const std::string& path, const std::string& reason) {
  return invalid_input(fmt::format("{}.{}: {}", kField, path, reason));
}

Result<std::string> get_string(const nlohmann::json& value, const std::string& path) {
  if (!value.is_string() || value.get<std::string>().empty()) return bad(path, "expected a non-empty string");
  return value.get<std::string>();
}

Result<std::uint16_t> get_port(const nlohmann::json& value, const std::string& path) {
  if (!value.is_number_integer() || value.get<long long>() < 1 || value.get<long long>() > 65535)
    return bad(path, "expected a port number (1-65535)");
  return static_cast<std::uint16_t>(value.get<long long>());
}

}  // namespace

std::string expand_home(const std::string& path) {
  if (path.rfind("~/", 0) != 0) return path;
  const char* home = std::getenv("HOME");
  return std::string(home && *home ? home : "/root") + path.substr(1);
}

Result<SshClusterOptions> parse_ssh_options(const ClusterConfig& config) {
  SshClusterOptions out;
  out.known_hosts = expand_home("~/.ssh/known_hosts");
  const auto& options = config.options;
  if (!options.is_object()) return invalid_input(fmt::format("{}: expected a map with 'hosts'", kField));
  std::string default_user = "root";
  std::string default_identity;
  for (auto& [key, value] : options.items()) {
    if (key == "hosts") continue;
    if (key == "user") {
      auto v = get_string(value, key);
      if (!v) return v.error();
      default_user = *v;
    } else if (key == "identity") {
      auto v = get_string(value, key);
      if (!v) return v.error();
      default_identity = expand_home(*v);
    } else if (key == "known_hosts") {
      auto v = get_string(value, key);
      if (!v) return v.error();
      out.known_hosts = expand_home(*v);
    } else if (key == "accept_unknown_host_keys") {
      if (!value.is_boolean()) return bad(key, "expected true or false");
      out.accept_unknown_host_keys = value.get<bool>();
    } else if (key == "agent_port") {
      auto v = get_port(value, key);
      if (!v) return v.error();
      out.agent_port = *v;
    } else if (key == "remote_dir") {
      auto v = get_string(value, key);
      if (!v) return v.error();
      if ((*v)[0] != '/' || v->find_first_of(" '\"\\$`;&|<>") != std::string::npos)
        return bad(key, "expected an absolute path without spaces or shell characters");
      out.remote_dir = *v;
    } else if (key == "connect_timeout") {
      auto v = value.is_string() ? parse_duration(value.get<std::string>()) : Result<Nanos>(invalid_input("not a string"));
      if (!v || *v <= 0) return bad(key, "expected a positive duration such as 10s");
      out.connect_timeout = *v;
    } else if (key == "connect_attempts") {
      if (!value.is_number_integer() || value.get<long long>() < 1 || value.get<long long>() > 20)
        return bad(key, "expected an integer from 1 to 20");
      out.connect_attempts = value.get<int>();
    } else {
      return bad(key, "unknown option for the ssh provider (hosts, user, identity, known_hosts, "
                      "accept_unknown_host_keys, agent_port, remote_dir, connect_timeout, connect_attempts)");
    }
  }
  if (!options.contains("hosts")) return bad("hosts", "missing: the ssh provider needs one host per node");
  const auto& hosts = options["hosts"];
  if (!hosts.is_array() || hosts.empty()) return bad("hosts", "expected a list of hosts ({host, port, user, identity, name})");
  if (hosts.size() != config.nodes.size())
    return bad("hosts", fmt::format("{} hosts listed for {} nodes; list exactly one host per node", hosts.size(), config.nodes.size()));
  std::vector<SshHost> parsed(hosts.size());
  std::set<std::string> named;
  for (std::size_t i = 0; i < hosts.size(); ++i) {
    const auto path = fmt::format("hosts[{}]", i);
    const auto& h = hosts[i];
    SshHost host;
    if (h.is_string()) {
      host.address = h.get<std::string>();
    } else if (h.is_object()) {
      for (auto& [key, value] : h.items()) {
        const auto field = path + "." + key;
        if (key == "host") {
          auto v = get_string(value, field);
          if (!v) return v.error();
          host.address = *v;
        } else if (key == "port") {
          auto v = get_port(value, field);
          if (!v) return v.error();
          host.port = *v;
        } else if (key == "user") {
          auto v = get_string(value, field);
          if (!v) return v.error();
          host.user = *v;
        } else if (key == "identity") {
          auto v = get_string(value, field);
          if (!v) return v.error();
          host.identity = expand_home(*v);
        } else if (key == "name") {
          auto v = get_string(value, field);
          if (!v) return v.error();
          host.name = *v;
        } else {
          return bad(field, "unknown field (host, port, user, identity, name)");
        }
      }
    } else {
      return bad(path, "expected a host address or a map {host, port, user, identity, name}");
    }
    if (host.address.empty()) return bad(path + ".host", "missing: the host's address or name");
    if (host.user.empty()) host.user = default_user;
    if (host.identity.empty()) host.identity = default_identity;
    if (host.identity.empty()) return bad(path + ".identity", "missing: a private key file (or a default cluster.options.identity)");
    if (!host.name.empty()) {
      if (std::find(config.nodes.begin(), config.nodes.end(), host.name) == config.nodes.end())
        return bad(path + ".name", fmt::format("'{}' is not a node of the cluster", host.name));
      if (!named.insert(host.name).second) return bad(path + ".name", fmt::format("node '{}' has two hosts", host.name));
    }
    std::error_code ec;
    if (std::filesystem::exists(host.identity + ".pub", ec)) host.public_key = host.identity + ".pub";
    parsed[i] = std::move(host);
  }
  // Unnamed hosts take the nodes in order, skipping the ones named explicitly.
  std::size_t next = 0;
  for (auto& host : parsed) {
    if (!host.name.empty()) continue;
    while (next < config.nodes.size() && named.count(config.nodes[next])) ++next;
    host.name = config.nodes[next++];
  }
  for (const auto& node : config.nodes)
    for (const auto& host : parsed)
      if (host.name == node) out.hosts.push_back(host);
  return out;
}

}  // namespace faultline::controller
