// `faultline cluster up|down|status`: a cluster by hand, outside a run.
#include <cstdio>

#include <fmt/format.h>

#include "controller/cli/command.h"
#include "controller/cluster/client_records.h"
#include "controller/cluster/provider.h"
#include "controller/run/runner.h"

namespace faultline::cli {
namespace {

struct ClusterArgs {
  std::string provider = "local";
  int nodes = 3;
  std::string subnet = "198.18.0.0/24";
  std::string name;
  std::string bin_dir;
  bool all = false;
  bool json = false;
};

int cluster_up(const ClusterArgs& args) {
  auto provider = controller::make_provider(args.provider);
  if (!provider) {
    std::fprintf(stderr, "faultline: unknown provider '%s'\n", args.provider.c_str());
    return kExitBadInput;
  }
  controller::ClusterConfig config;
  config.provider = args.provider;
  config.subnet = args.subnet;
  for (int i = 1; i <= args.nodes; ++i) config.nodes.push_back(fmt::format("n{}", i));
  controller::ProviderOptions options;
  options.cluster_id = args.name;
  options.bin_dir = args.bin_dir.empty() ? controller::self_dir() : std::filesystem::path(args.bin_dir);
  auto cluster = provider->up(config, options);
  if (!cluster) {
    std::fprintf(stderr, "faultline: cluster up: %s\n", cluster.error().message.c_str());
    return cluster.error().code == ErrorCode::kInvalidInput ? kExitBadInput : kExitInternal;
  }
  (*cluster)->release();
  std::printf("cluster %s up: %s\n", (*cluster)->id().c_str(), (*cluster)->state_file().c_str());
  for (const auto& node : (*cluster)->nodes())
    std::printf("  %-6s %-15s agent %s:%u  state %s\n", node.name.c_str(), node.address.c_str(), node.agent.host.c_str(),
                node.agent.port, node.state_dir.c_str());
  std::printf("remove it with: faultline cluster down %s\n", (*cluster)->id().c_str());
  return kExitValid;
}

std::vector<std::string> targets(const ClusterArgs& args) {
  std::vector<std::string> out;
  if (args.all) {
    for (const auto& p : controller::list_cluster_states()) out.push_back(p.string());
  } else if (!args.name.empty()) {
    out.push_back(args.name);
  }
  return out;
}

int cluster_down(const ClusterArgs& args) {
  auto names = targets(args);
  if (names.empty()) {
    std::fprintf(stderr, "faultline: cluster down: name a cluster (id or state file) or give --all\n");
    return args.all ? kExitValid : kExitBadInput;
  }
  int code = kExitValid;
  for (const auto& name : names) {
    auto state = controller::read_cluster_state(name);
    if (!state) {
      std::fprintf(stderr, "faultline: %s\n", state.error().message.c_str());
      code = kExitBadInput;
      continue;
    }
    auto provider = controller::make_provider(state->value("provider", std::string("local")));
    if (!provider) {
      std::fprintf(stderr, "faultline: %s: unknown provider\n", name.c_str());
      code = kExitBadInput;
      continue;
    }
    // A dead controller's clients first: they must not outlive their run.
    for (const auto& problem : controller::kill_recorded_clients(*state)) {
      std::fprintf(stderr, "faultline: cluster %s: %s\n", state->value("id", name).c_str(), problem.c_str());
      code = kExitInternal;
    }
    if (auto r = provider->down(*state); !r) {
      std::fprintf(stderr, "faultline: cluster %s: %s\n", state->value("id", name).c_str(), r.error().message.c_str());
      code = kExitInternal;
    } else {
      std::printf("cluster %s removed\n", state->value("id", name).c_str());
    }
  }
  return code;
}

int cluster_status(const ClusterArgs& args) {
  auto names = targets(args);
  if (names.empty())
    for (const auto& p : controller::list_cluster_states()) names.push_back(p.string());
  auto all = nlohmann::json::array();
  for (const auto& name : names) {
    auto state = controller::read_cluster_state(name);
    if (!state) {
      std::fprintf(stderr, "faultline: %s\n", state.error().message.c_str());
      return kExitBadInput;
    }
    auto provider = controller::make_provider(state->value("provider", std::string("local")));
    if (!provider) continue;
    all.push_back(provider->status(*state));
  }
  if (args.json) {
    std::printf("%s\n", all.dump(2).c_str());
    return kExitValid;
  }
  if (all.empty()) std::printf("no clusters (state files in %s)\n", controller::cluster_state_dir().c_str());
  for (const auto& c : all) {
    std::printf("cluster %s (%s, %s) bridge %s %s\n", c.value("id", "").c_str(), c.value("provider", "").c_str(),
                c.value("subnet", "").c_str(), c["bridge"].value("name", "").c_str(),
                c["bridge"].value("exists", false) ? "up" : "missing");
    for (const auto& n : c["nodes"])
      std::printf("  %-6s %-15s namespace %s agent pid %d %s\n", n.value("name", "").c_str(), n.value("address", "").c_str(),
                  n.value("namespace_exists", false) ? "ok" : "missing", n.value("agent_pid", 0),
                  n.value("agent_listening", false) ? "listening" : n.value("agent_running", false) ? "running" : "down");
  }
  return kExitValid;
}

Command setup_cluster(CLI::App& app) {
  auto args = std::make_shared<ClusterArgs>();
  auto* cmd = app.add_subcommand("cluster", "Manage a cluster by hand: up, down, status");
  cmd->require_subcommand(1);
  auto* up = cmd->add_subcommand("up", "Create a cluster with an agent on every node and keep it");
  up->add_option("--provider", args->provider, "provider (default local)");
  up->add_option("--nodes,-n", args->nodes, "node count (default 3)")->check(CLI::Range(1, 250));
  up->add_option("--subnet", args->subnet, "subnet (default 198.18.0.0/24)");
  up->add_option("--name", args->name, "cluster id (default: random)");
  up->add_option("--bin-dir", args->bin_dir, "where faultline-agent is (default: beside faultline)");
  auto* down = cmd->add_subcommand("down", "Remove exactly what a cluster's state file records");
  down->add_option("cluster", args->name, "cluster id or state file");
  down->add_flag("--all", args->all, "every cluster with a state file");
  auto* status = cmd->add_subcommand("status", "Show recorded clusters and whether their parts still exist");
  status->add_option("cluster", args->name, "cluster id or state file (default: all)");
  status->add_flag("--json", args->json, "print JSON");
  return Command{cmd, [args, up, down, status]() -> int {
                   if (up->parsed()) return cluster_up(*args);
                   if (down->parsed()) return cluster_down(*args);
                   if (status->parsed()) return cluster_status(*args);
                   return kExitBadInput;
                 }};
}

FAULTLINE_REGISTER_COMMAND(setup_cluster);

}  // namespace
}  // namespace faultline::cli
