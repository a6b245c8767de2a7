#include "controller/cluster/local_provider.h"

#include <cerrno>
#include <csignal>
#include <cstring>
#include <fstream>
#include <optional>
#include <set>
#include <random>
#include <sstream>
#include <thread>

#include <arpa/inet.h>
#include <fcntl.h>
#include <sys/file.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>
#include <openssl/rand.h>

#include "controller/cluster/exec.h"
#include "controller/cluster/recorded_cluster.h"
#include "controller/cluster/subnet.h"
#include "controller/cluster/tcp_wait.h"

namespace faultline::controller {
namespace {

// iptables -I/-D FORWARD for traffic between the ports of our bridge, tagged
// with the cluster id so nothing else is ever matched.
std::vector<std::string> forward_rule_command(const std::string& op, const std::string& bridge, const std::string& id) {
  return {"iptables", "-w", op, "FORWARD", "-i", bridge, "-o", bridge, "-m", "comment", "--comment",
          "faultline-cluster-" + id, "-j", "ACCEPT"};
}

Result<void> ip(const std::vector<std::string>& args) {
  std::vector<std::string> argv{"ip"};
  argv.insert(argv.end(), args.begin(), args.end());
  auto r = run_command(argv);
  if (!r) return r.error();
  return ok_result();
}

// An exclusive lock on /run/faultline/subnet.lock for as long as it lives.
class SubnetLock {
 public:
  SubnetLock() {
    std::error_code ec;
    std::filesystem::create_directories("/run/faultline", ec);
    fd_ = ::open("/run/faultline/subnet.lock", O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd_ >= 0) ::flock(fd_, LOCK_EX);
  }
  ~SubnetLock() {
    if (fd_ >= 0) ::close(fd_);
  }
  SubnetLock(const SubnetLock&) = delete;
  SubnetLock& operator=(const SubnetLock&) = delete;

 private:
  int fd_ = -1;
};

// The interface and address of some host interface inside `subnet`, or "".
std::string subnet_user(const Subnet& subnet) {
  auto addrs = run_command({"ip", "-4", "-o", "addr", "show"});
  if (!addrs) return {};
  std::istringstream lines(*addrs);
  std::string line;
  while (std::getline(lines, line)) {
    std::istringstream words(line);
    std::string index, ifname, family, cidr;
    words >> index >> ifname >> family >> cidr;
    if (subnet.contains(cidr.substr(0, cidr.find('/')))) return fmt::format("interface {} has {}", ifname, cidr);
  }
  return {};
}

struct ChosenSubnet {
  Subnet subnet;
  bool moved = false;
  std::string why_moved;
};

// The suite's subnet when it names one (refused when in use). Otherwise the
// default, or when another cluster or network has it, the next free subnet
// of the same size in the benchmarking range 198.18.0.0/15.
Result<ChosenSubnet> choose_subnet(const ClusterConfig& config) {
  const Subnet wanted = *parse_subnet(config.subnet);
  const std::string user = subnet_user(wanted);
  if (user.empty()) return ChosenSubnet{wanted, false, ""};
  if (config.subnet_given)
    return unavailable(fmt::format("subnet {} is already in use ({}); choose another with --set cluster.subnet=...",
                                   config.subnet, user));
  const std::uint32_t range = *parse_ipv4("198.18.0.0"), range_end = range + (1u << 17);
  for (std::uint32_t network = wanted.network + wanted.size(); network + wanted.size() <= range_end;
       network += wanted.size()) {
    if (network < range) continue;
    Subnet candidate{network, wanted.prefix};
    if (subnet_user(candidate).empty()) return ChosenSubnet{candidate, true, user};
  }
  return unavailable(fmt::format("subnet {} is in use ({}) and no other /{} in 198.18.0.0/15 is free; "
                                 "choose one with --set cluster.subnet=...",
                                 config.subnet, user, wanted.prefix));
}

// How long the agents get, together, to heal and stop their SUTs before
// they are killed; and how long killed processes get to be gone.
constexpr Nanos kAgentGrace = 5'000'000'000;
constexpr Nanos kKillWait = 2'000'000'000;
constexpr Nanos kVethWait = 1'000'000'000;

// Waits until every pid has exited, or the deadline.
void wait_gone(const std::vector<pid_t>& pids, Nanos timeout) {
  const Nanos deadline = monotonic_now() + timeout;
  for (pid_t pid : pids)
    while (process_alive(pid) && monotonic_now() < deadline) std::this_thread::sleep_for(std::chrono::milliseconds(5));
}

// SIGTERM to all at once, one shared grace, then SIGKILL to what is left.
void stop_processes(const std::vector<pid_t>& pids, Nanos grace) {
  std::vector<pid_t> running;
  for (pid_t pid : pids)
    if (process_alive(pid) && ::kill(pid, SIGTERM) == 0) running.push_back(pid);
  wait_gone(running, grace);
  std::vector<pid_t> killed;
  for (pid_t pid : running)
    if (process_alive(pid) && ::kill(pid, SIGKILL) == 0) killed.push_back(pid);
  wait_gone(killed, kKillWait);
}

// The processes whose network namespace is one of `namespaces` (by the
// inode of /run/netns/NAME), in one pass over /proc.
std::vector<pid_t> pids_in_namespaces(const std::vector<std::string>& namespaces) {
  std::set<std::pair<dev_t, ino_t>> ours;
  for (const auto& ns : namespaces) {
    struct stat st {};
    if (::stat(("/run/netns/" + ns).c_str(), &st) == 0) ours.insert({st.st_dev, st.st_ino});
  }
  std::vector<pid_t> pids;
  if (ours.empty()) return pids;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/proc", ec)) {
    const std::string name = entry.path().filename().string();
    if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) continue;
    struct stat st {};
    if (::stat((entry.path() / "ns" / "net").c_str(), &st) != 0) continue;
    if (ours.count({st.st_dev, st.st_ino})) pids.push_back(static_cast<pid_t>(std::stol(name)));
  }
  return pids;
}

// The host ends of cluster `id`'s veth pairs.
std::vector<std::string> host_links(const std::string& id) {
  std::vector<std::string> links;
  std::error_code ec;
  for (const auto& link : std::filesystem::directory_iterator("/sys/class/net", ec)) {
    auto name = link.path().filename().string();
    if (name.rfind("fl" + id + "h", 0) == 0) links.push_back(name);
  }
  return links;
}

// Deletes network interfaces by name with one `ip -batch`.
Result<void> delete_links(const std::vector<std::string>& links, const std::string& id) {
  if (links.empty()) return ok_result();
  const auto batch = std::filesystem::temp_directory_path() / fmt::format("faultline-down-{}-{}.ip", id, ::getpid());
  {
    std::ofstream out(batch, std::ios::trunc);
    for (const auto& link : links) out << "link del " << link << "\n";
    if (!out) return io_error(fmt::format("{}: cannot write", batch.string()));
  }
  auto r = run_command({"ip", "-force", "-batch", batch.string()});
  std::error_code ec;
  std::filesystem::remove(batch, ec);
  if (r) return ok_result();
  // A link that went away meanwhile (its namespace's teardown took it) is no problem.
  for (const auto& link : links)
    if (std::filesystem::exists("/sys/class/net/" + link)) return r.error();
  return ok_result();
}

}  // namespace

Result<void> LocalProvider::validate(const ClusterConfig& config) const {
  auto subnet = parse_subnet(config.subnet);
  if (!subnet) return subnet.error().with_context("cluster.subnet");
  if (config.nodes.size() + 2 > subnet->size())
    return invalid_input(fmt::format("cluster.subnet {} has no room for {} nodes and the bridge", config.subnet, config.nodes.size()));
  if (config.options.is_object()) {
    for (auto& [key, value] : config.options.items()) {
      if (key == "agent_port") {
        if (!value.is_number_integer() || value.get<int>() < 1 || value.get<int>() > 65535)
          return invalid_input("cluster.options.agent_port: expected a port number");
      } else if (key == "data_size") {
        if (!value.is_string() || !parse_size(value.get<std::string>()))
          return invalid_input("cluster.options.data_size: expected a size such as 64MiB");
      } else {
        return invalid_input(fmt::format("cluster.options.{}: unknown option for the local provider (agent_port, data_size)", key));
      }
    }
  }
  return ok_result();
}

namespace {

// What up() has made so far, written to the cluster's state file after
// every step so that down() (or `faultline cluster down` after a crash)
// removes exactly that.
struct BringUp {
  nlohmann::json& state;
  const std::filesystem::path& file;
  Result<void> save() const { return write_state_file(state, file); }
};

// The work directory is a tmpfs of its own, as /run is on most hosts:
// down() unmounts it whole instead of unlinking file by file (on a disk
// mounted with `discard`, each unlink of a written file cost ~3 ms).
Result<void> mount_work_dir(BringUp& made, const std::filesystem::path& work) {
  std::error_code ec;
  std::filesystem::create_directories(work, ec);
  if (ec) return io_error(fmt::format("{}: {}", work.string(), ec.message()));
  if (auto r = run_command({"mount", "-t", "tmpfs", "-o", "mode=0755", "faultline-work", work.string()}); !r) return r.error();
  made.state["mounts"].push_back(work.string());
  return made.save();
}

// The bridge with the subnet's gateway address; `subnet_lock` is released
// as soon as the address makes the subnet visibly ours.
Result<void> make_bridge(BringUp& made, const Subnet& subnet, const std::string& id,
                         std::optional<SubnetLock>& subnet_lock) {
  const std::string bridge = "flb" + id;
  if (auto r = ip({"link", "add", "name", bridge, "type", "bridge", "nf_call_iptables", "0", "nf_call_ip6tables", "0"}); !r) {
    if (auto r2 = ip({"link", "add", "name", bridge, "type", "bridge"}); !r2) return r2.error();
  }
  made.state["bridge_created"] = true;
  if (auto s = made.save(); !s) return s.error();
  if (auto r = ip({"addr", "add", subnet.gateway() + "/" + std::to_string(subnet.prefix), "dev", bridge}); !r) return r.error();
  subnet_lock.reset();
  if (auto r = ip({"link", "set", bridge, "up"}); !r) return r.error();
  // Where br_netfilter is loaded (Docker loads it and sets FORWARD's policy to
  // DROP), bridged traffic between our namespaces crosses the host's FORWARD
  // chain whatever the bridge's own nf_call_iptables says. One tagged rule lets
  // node-to-node traffic through; down() removes exactly that rule.
  if (auto r = run_command(forward_rule_command("-I", bridge, id)); r) {
    made.state["forward_rule"] = true;
    if (auto s = made.save(); !s) return s.error();
  }
  return ok_result();
}

Result<void> write_token(const std::filesystem::path& token_file, const std::string& token) {
  int fd = ::open(token_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return io_error(fmt::format("{}: cannot write token", token_file.string()));
  const bool whole = ::write(fd, token.data(), token.size()) == static_cast<ssize_t>(token.size());
  ::close(fd);
  if (!whole) return io_error(fmt::format("{}: cannot write token", token_file.string()));
  return ok_result();
}

struct NodePlan {
  std::string id;
  std::size_t index = 0;
  std::string name;
  Subnet subnet;
  std::filesystem::path work;
  std::string agent_bin;
  std::uint16_t agent_port = 0;
  std::uint64_t data_bytes = 0;
};

// One node: its namespace wired to the bridge, its state and data dirs (the
// data dir a tmpfs of data_bytes), its token, and its agent started inside.
Result<NodeInfo> add_node(BringUp& made, const NodePlan& plan) {
  const std::string ns = fmt::format("faultline-{}-{}", plan.id, plan.name);
  const std::string host_if = fmt::format("fl{}h{}", plan.id, plan.index + 1);
  const std::string peer_if = fmt::format("fl{}c{}", plan.id, plan.index + 1);
  const std::string address = plan.subnet.host(static_cast<std::uint32_t>(plan.index + 1));
  const std::string prefix = "/" + std::to_string(plan.subnet.prefix);
  if (auto r = ip({"netns", "add", ns}); !r) return r.error();
  made.state["namespaces"].push_back(ns);
  if (auto s = made.save(); !s) return s.error();
  for (const auto& step : std::vector<std::vector<std::string>>{
           {"link", "add", host_if, "type", "veth", "peer", "name", peer_if},
           {"link", "set", peer_if, "netns", ns},
           {"link", "set", host_if, "master", "flb" + plan.id},
           {"link", "set", host_if, "up"},
           {"-n", ns, "link", "set", peer_if, "name", "eth0"},
           {"-n", ns, "addr", "add", address + prefix, "dev", "eth0"},
           {"-n", ns, "link", "set", "eth0", "up"},
           {"-n", ns, "link", "set", "lo", "up"},
           {"-n", ns, "route", "add", "default", "via", plan.subnet.gateway()}}) {
    if (auto r = ip(step); !r) return r.error();
  }
  NodeInfo node;
  node.name = plan.name;
  node.address = address;
  const auto node_dir = plan.work / plan.name;
  const auto state_dir = node_dir / "state";
  const auto data_dir = node_dir / "data";
  std::error_code ec;
  std::filesystem::create_directories(state_dir, ec);
  std::filesystem::create_directories(data_dir, ec);
  if (ec) return io_error(fmt::format("{}: {}", node_dir.string(), ec.message()));
  if (auto r = run_command({"mount", "-t", "tmpfs", "-o", fmt::format("size={},mode=0755", plan.data_bytes),
                            "faultline-data", data_dir.string()});
      !r)
    return r.error();
  made.state["mounts"].push_back(data_dir.string());
  if (auto s = made.save(); !s) return s.error();
  node.agent = {address, plan.agent_port, random_hex(32)};
  const auto token_file = state_dir / "token";
  if (auto w = write_token(token_file, node.agent.token); !w) return w.error();
  node.state_dir = state_dir.string();
  node.data_dir = data_dir.string();
  node.events = (state_dir / "events.sock").string();
  node.logs["agent.log"] = node_dir / "agent.log";
  node.logs["sut.stdout.log"] = state_dir / "sut.stdout.log";
  node.logs["sut.stderr.log"] = state_dir / "sut.stderr.log";
  auto pid = spawn_daemon({plan.agent_bin, "--listen", fmt::format("{}:{}", address, plan.agent_port), "--token-file",
                           token_file.string(), "--state-dir", state_dir.string()},
                          node_dir / "agent.log", ns);
  if (!pid) return pid.error();
  made.state["pids"].push_back(*pid);
  made.state["nodes"].push_back({{"name", plan.name}, {"address", address}, {"namespace", ns},
                                 {"agent_port", plan.agent_port}, {"agent_pid", *pid},
                                 {"token_file", token_file.string()}, {"state_dir", state_dir.string()},
                                 {"data_dir", data_dir.string()}, {"events", node.events}, {"host_interface", host_if}});
  if (auto s = made.save(); !s) return s.error();
  return node;
}

// Every agent must accept connections before the cluster is handed over.
Result<void> wait_for_agents(std::vector<NodeInfo>& nodes, const ProviderOptions& options) {
  for (auto& node : nodes) {
    if (wait_for_tcp(node.address, node.agent.port, 15'000'000'000, options.interrupted)) continue;
    std::string log;
    std::ifstream in(node.logs["agent.log"]);
    std::getline(in, log, '\0');
    if (log.size() > 600) log = "..." + log.substr(log.size() - 600);
    return unavailable(fmt::format("node {}: faultline-agent did not start listening on {}:{}{}{}", node.name,
                                   node.address, node.agent.port, log.empty() ? "" : "; its log:\n", log));
  }
  return ok_result();
}

}  // namespace

Result<std::unique_ptr<Cluster>> LocalProvider::up(const ClusterConfig& config, const ProviderOptions& options) {
  if (::geteuid() != 0) return unavailable("the local provider needs root (network namespaces, veth, bridge)");
  if (auto v = validate(config); !v) return v.error();
  // Held until the bridge has the chosen subnet's address, so two runs
  // starting at once never pick the same one.
  std::optional<SubnetLock> subnet_lock(std::in_place);
  auto chosen = choose_subnet(config);
  if (!chosen) return chosen.error();
  const Subnet subnet = chosen->subnet;
  if (chosen->moved && options.notice)
    options.notice(fmt::format("subnet {} is in use ({}); this cluster uses {}", config.subnet, chosen->why_moved,
                               subnet.to_string()));
  NodePlan plan;
  plan.agent_bin = (options.bin_dir / "faultline-agent").string();
  if (::access(plan.agent_bin.c_str(), X_OK) != 0)
    return unavailable(fmt::format("{}: faultline-agent not found (build it: cmake --build ... --target faultline-agent)", plan.agent_bin));
  plan.agent_port = static_cast<std::uint16_t>(config.options.value("agent_port", 7070));
  plan.data_bytes = *parse_size(config.options.value("data_size", std::string("64MiB")));
  plan.subnet = subnet;
  plan.id = options.cluster_id.empty() ? random_hex(3) : options.cluster_id;
  plan.work = std::filesystem::path("/run/faultline") / plan.id;
  const std::filesystem::path file = cluster_state_dir() / (plan.id + ".json");
  nlohmann::json state{{"provider", "local"}, {"id", plan.id}, {"subnet", subnet.to_string()}, {"bridge", "flb" + plan.id},
                       {"work_dir", plan.work.string()}, {"namespaces", nlohmann::json::array()},
                       {"mounts", nlohmann::json::array()}, {"pids", nlohmann::json::array()},
                       {"nodes", nlohmann::json::array()}, {"created_by_pid", ::getpid()}};
  if (std::filesystem::exists(file)) return invalid_input(fmt::format("cluster {} already exists ({})", plan.id, file.string()));
  BringUp made{state, file};
  if (auto w = made.save(); !w) return w.error();
  // From here on, any failure removes what was made.
  auto cluster = std::make_unique<RecordedCluster>(state, file, std::vector<NodeInfo>{}, [this](const nlohmann::json& s) { return down(s); });
  auto fail = [&](const Error& error) -> Result<std::unique_ptr<Cluster>> {
    (void)down(state);
    cluster->release();
    return error;
  };
  if (auto r = mount_work_dir(made, plan.work); !r) return fail(r.error());
  if (auto r = make_bridge(made, subnet, plan.id, subnet_lock); !r) return fail(r.error());
  std::vector<NodeInfo> nodes;
  for (std::size_t i = 0; i < config.nodes.size(); ++i) {
    if (options.interrupted && options.interrupted())
      return fail(Error{ErrorCode::kUnavailable, "interrupted while bringing the cluster up"});
    plan.index = i;
    plan.name = config.nodes[i];
    auto node = add_node(made, plan);
    if (!node) return fail(node.error());
    nodes.push_back(std::move(*node));
  }
  if (auto r = wait_for_agents(nodes, options); !r) return fail(r.error());
  cluster->release();
  return std::unique_ptr<Cluster>(std::make_unique<RecordedCluster>(state, file, std::move(nodes), [this](const nlohmann::json& s) { return down(s); }));
}

Result<void> LocalProvider::down(const nlohmann::json& state) {
  std::vector<std::string> problems;
  // Every step covers all nodes at once, so the time does not grow with the
  // cluster: the agents stop together (each heals and stops its SUT) under
  // one deadline, the namespaces' processes are found in one pass over /proc,
  // mounts and namespaces go with a syscall each, the veths with one `ip`.
  std::vector<pid_t> agents;
  if (state.contains("pids"))
    for (const auto& pid : state["pids"]) agents.push_back(pid.get<pid_t>());
  stop_processes(agents, kAgentGrace);
  std::vector<std::string> namespaces;
  if (state.contains("namespaces"))
    for (const auto& ns : state["namespaces"]) namespaces.push_back(ns.get<std::string>());
  // Anything still running inside our namespaces (a SUT the agent left behind).
  std::vector<pid_t> left = pids_in_namespaces(namespaces);
  for (pid_t pid : left) ::kill(pid, SIGKILL);
  wait_gone(left, kKillWait);
  if (state.contains("mounts"))  // the last mounted first: the data dirs are inside the work dir
    for (auto mount = state["mounts"].rbegin(); mount != state["mounts"].rend(); ++mount) {
      auto path = mount->get<std::string>();
      if (::umount2(path.c_str(), 0) != 0 && errno != EINVAL && errno != ENOENT &&
          ::umount2(path.c_str(), MNT_DETACH) != 0 && errno != EINVAL && errno != ENOENT)
        problems.push_back(fmt::format("umount {}: {}", path, std::strerror(errno)));
    }
  // The work dir (now an empty mount point) before the namespaces, whose
  // teardown keeps the kernel busy for a while.
  std::error_code ec;
  auto work = state.value("work_dir", std::string());
  if (!work.empty() && work.rfind("/run/faultline/", 0) == 0) std::filesystem::remove_all(work, ec);
  for (const auto& ns : namespaces) {
    // What `ip netns del` does: detach the namespace's bind mount, remove the file.
    const std::string path = "/run/netns/" + ns;
    if (!std::filesystem::exists(path)) continue;
    if (::umount2(path.c_str(), MNT_DETACH) != 0 && errno != EINVAL && errno != ENOENT)
      problems.push_back(fmt::format("umount {}: {}", path, std::strerror(errno)));
    if (::unlink(path.c_str()) != 0 && errno != ENOENT) problems.push_back(fmt::format("rm {}: {}", path, std::strerror(errno)));
  }
  // Our veth pairs: the kernel tears a deleted namespace down in the
  // background, and with its eth0 the host end, all namespaces in one batch
  // (deleting 50 veths one by one costs a grace period each: 1.3 s). What is
  // still there after kVethWait is deleted by name.
  if (auto id = state.value("id", std::string()); !id.empty()) {
    const Nanos until = monotonic_now() + kVethWait;
    std::vector<std::string> links = host_links(id);
    while (!links.empty() && monotonic_now() < until) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
      links = host_links(id);
    }
    if (auto r = delete_links(links, id); !r) problems.push_back(r.error().message);
  }
  if (state.value("forward_rule", false)) {
    auto rule = forward_rule_command("-D", state.value("bridge", std::string()), state.value("id", std::string()));
    if (auto r = run_command(rule); !r && r.error().message.find("does a matching rule exist") == std::string::npos &&
                                     r.error().message.find("No chain/target/match") == std::string::npos)
      problems.push_back(r.error().message);
  }
  if (state.value("bridge_created", false)) {
    auto bridge = state.value("bridge", std::string());
    if (!bridge.empty() && std::filesystem::exists("/sys/class/net/" + bridge))
      if (auto r = ip({"link", "del", bridge}); !r) problems.push_back(r.error().message);
  }
  return finish_down(state, problems);
}

nlohmann::json LocalProvider::status(const nlohmann::json& state) {
  nlohmann::json out{{"id", state.value("id", "")}, {"provider", "local"}, {"subnet", state.value("subnet", "")}};
  auto bridge = state.value("bridge", std::string());
  out["bridge"] = {{"name", bridge}, {"exists", std::filesystem::exists("/sys/class/net/" + bridge)}};
  auto nodes = nlohmann::json::array();
  if (state.contains("nodes"))
    for (const auto& node : state["nodes"]) {
      auto ns = node.value("namespace", std::string());
      nlohmann::json n{{"name", node.value("name", "")}, {"address", node.value("address", "")},
                       {"namespace", ns}, {"namespace_exists", std::filesystem::exists("/run/netns/" + ns)},
                       {"agent_pid", node.value("agent_pid", 0)},
                       {"agent_running", process_alive(node.value("agent_pid", 0))}};
      n["agent_listening"] = n["agent_running"].get<bool>() &&
                             wait_for_tcp(node.value("address", ""), node.value("agent_port", 7070), 300'000'000);
      nodes.push_back(n);
    }
  out["nodes"] = nodes;
  return out;
}

FAULTLINE_REGISTER_PROVIDER("local", LocalProvider);

}  // namespace faultline::controller
