#if defined(FAULTLINE_HAVE_LIBSSH2)
#include "controller/cluster/ssh_provider.h"

#include <fstream>
#include <functional>
#include <mutex>
#include <random>
#include <thread>

#include <unistd.h>

#include <fmt/format.h>
#include <openssl/rand.h>

#include "controller/cluster/ssh_config.h"
#include "controller/cluster/recorded_cluster.h"
#include "controller/ssh/forwarder.h"
#include "controller/ssh/session.h"

namespace faultline::controller {
namespace {

ssh::ConnectOptions connect_options(const nlohmann::json& node) {
  ssh::ConnectOptions o;
  o.host = node.value("address", "");
  o.port = static_cast<std::uint16_t>(node.value("port", 22));
  o.user = node.value("user", "root");
  o.identity = node.value("identity", "");
  o.public_key = node.value("public_key", "");
  o.known_hosts = node.value("known_hosts", "");
  o.accept_unknown = false;  // up() already recorded any key it accepted
  o.timeout = node.value("connect_timeout_ns", Nanos{10'000'000'000});
  o.attempts = node.value("connect_attempts", 3);
  return o;
}

// A shell snippet that stops what up() started on one node and removes its directory.
std::string down_script(const std::string& dir, long long pid) {
  const std::string d = ssh::shell_quote(dir);
  return fmt::format(
      "D={d}; P={pid}; alive() {{ grep -qF \"$D/\" /proc/$P/cmdline 2>/dev/null; }}; "
      "if [ \"$P\" -gt 0 ] && alive; then kill -TERM $P; i=0; "
      "while alive && [ $i -lt 50 ]; do sleep 0.1; i=$((i+1)); done; alive && kill -KILL $P; fi; "
      "for p in /proc/[0-9]*; do case \"$(readlink $p/cwd 2>/dev/null)\" in \"$D\"|\"$D\"/*) kill -KILL ${{p#/proc/}} 2>/dev/null;; esac; done; "
      "rm -rf \"$D\"; rmdir \"$(dirname \"$D\")\" 2>/dev/null; [ ! -e \"$D\" ]",
      fmt::arg("d", d), fmt::arg("pid", pid));
}

}  // namespace

Result<void> SshProvider::validate(const ClusterConfig& config) const {
  auto options = parse_ssh_options(config);
  if (!options) return options.error();
  return ok_result();
}

namespace {

// Bringing up one cluster's nodes, each on its own thread: connect, upload
// and start the agent, wait until it listens, forward its port. Every step
// is recorded in the state file as it happens, so down() can undo it.
class SshBringUp {
 public:
  SshBringUp(const SshClusterOptions& o, std::filesystem::path agent_bin, std::string cluster_dir,
             nlohmann::json& state, std::filesystem::path file, std::function<bool()> interrupted)
      : o_(o), agent_bin_(std::move(agent_bin)), cluster_dir_(std::move(cluster_dir)), state_(state),
        file_(std::move(file)), interrupted_(std::move(interrupted)), forwarders_(o.hosts.size()) {}

  Result<NodeInfo> node(std::size_t i);
  std::vector<std::unique_ptr<ssh::Forwarder>>& forwarders() { return forwarders_; }

 private:
  void record(std::size_t i, const char* key, nlohmann::json value) {
    std::lock_guard lock(mutex_);
    state_["nodes"][i][key] = std::move(value);
    (void)write_state_file(state_, file_);
  }
  bool interrupted() const { return interrupted_ && interrupted_(); }
  Result<std::unique_ptr<ssh::Session>> connect(const SshHost& host);
  Result<long long> start_agent(ssh::Session& s, const std::string& dir, const std::string& token, const std::string& where);
  Result<void> wait_listening(ssh::Session& s, const std::string& dir, const std::string& where);

  const SshClusterOptions& o_;
  const std::filesystem::path agent_bin_;
  const std::string cluster_dir_;
  nlohmann::json& state_;
  const std::filesystem::path file_;
  const std::function<bool()> interrupted_;
  std::mutex mutex_;  // guards state_, the state file and known_hosts updates
  std::vector<std::unique_ptr<ssh::Forwarder>> forwarders_;
};

Result<std::unique_ptr<ssh::Session>> SshBringUp::connect(const SshHost& host) {
  ssh::ConnectOptions co;
  co.host = host.address;
  co.port = host.port;
  co.user = host.user;
  co.identity = host.identity;
  co.public_key = host.public_key;
  co.known_hosts = o_.known_hosts;
  co.accept_unknown = o_.accept_unknown_host_keys;
  co.timeout = o_.connect_timeout;
  co.attempts = o_.connect_attempts;
  // Known-hosts updates (accept_unknown_host_keys) must not interleave.
  std::unique_lock lock(mutex_, std::defer_lock);
  if (o_.accept_unknown_host_keys) lock.lock();
  return ssh::Session::connect(co);
}

Result<long long> SshBringUp::start_agent(ssh::Session& s, const std::string& dir, const std::string& token,
                                          const std::string& where) {
  auto mk = s.exec(fmt::format("umask 077 && mkdir -p {0}/state {0}/data && chmod 700 {1} {0}", ssh::shell_quote(dir),
                               ssh::shell_quote(cluster_dir_)));
  if (!mk) return mk.error().with_context(where);
  if (mk->exit_status != 0) return io_error(fmt::format("{}: cannot create {}: {}", where, dir, mk->output));
  if (auto u = s.upload(agent_bin_, dir + "/faultline-agent", 0755); !u) return u.error().with_context(where);
  if (auto u = s.upload_data(token, dir + "/token", 0600); !u) return u.error().with_context(where);
  if (interrupted()) return unavailable("interrupted while bringing the cluster up");
  auto started = s.exec(fmt::format(
      "cd {0} && {{ setsid ./faultline-agent --listen 127.0.0.1:{1} --token-file {0}/token --state-dir {0}/state "
      ">{0}/agent.log 2>&1 </dev/null & echo $!; }}",
      ssh::shell_quote(dir), o_.agent_port));
  if (!started) return started.error().with_context(where);
  long long pid = 0;
  try {
    pid = std::stoll(started->output);
  } catch (...) {
  }
  if (started->exit_status != 0 || pid <= 0)
    return io_error(fmt::format("{}: cannot start faultline-agent: {}", where, started->output));
  return pid;
}

// Waits until the agent accepts connections on the remote loopback.
Result<void> SshBringUp::wait_listening(ssh::Session& s, const std::string& dir, const std::string& where) {
  Nanos deadline = monotonic_now() + 15'000'000'000;
  while (monotonic_now() < deadline && !interrupted()) {
    if (auto channel = s.open_direct_tcpip("127.0.0.1", o_.agent_port); channel) {
      s.close_channel(*channel);
      return ok_result();
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  auto log = s.exec(fmt::format("tail -c 600 {}/agent.log", ssh::shell_quote(dir)));
  return unavailable(fmt::format("{}: faultline-agent did not start listening on 127.0.0.1:{}{}{}", where, o_.agent_port,
                                 log && !log->output.empty() ? "; its log:\n" : "", log ? log->output : ""));
}

Result<NodeInfo> SshBringUp::node(std::size_t i) {
  const SshHost& host = o_.hosts[i];
  const std::string dir = cluster_dir_ + "/" + host.name;
  const std::string where = fmt::format("node {} ({}@{}:{})", host.name, host.user, host.address, host.port);
  auto session = connect(host);
  if (!session) return session.error().with_context(where);
  if (interrupted()) return unavailable("interrupted while bringing the cluster up");
  record(i, "created", true);
  const std::string token = random_hex(32);
  auto pid = start_agent(**session, dir, token, where);
  if (!pid) return pid.error();
  record(i, "agent_pid", *pid);
  if (auto listening = wait_listening(**session, dir, where); !listening) return listening.error();
  NodeInfo node;
  node.name = host.name;
  node.address = host.address;
  node.state_dir = dir + "/state";
  node.data_dir = dir + "/data";
  node.events = dir + "/state/events.sock";
  node.agent.token = token;
  node.agent.host = "127.0.0.1";
  auto forwarder = ssh::Forwarder::start(std::move(*session), "127.0.0.1", o_.agent_port);
  if (!forwarder) return forwarder.error().with_context(where);
  node.agent.port = (*forwarder)->local_port();
  forwarders_[i] = std::move(*forwarder);
  record(i, "local_port", node.agent.port);
  return node;
}

}  // namespace

Result<std::unique_ptr<Cluster>> SshProvider::up(const ClusterConfig& config, const ProviderOptions& options) {
  auto parsed = parse_ssh_options(config);
  if (!parsed) return parsed.error();
  const SshClusterOptions& o = *parsed;
  const auto agent_bin = options.bin_dir / "faultline-agent";
  if (::access(agent_bin.c_str(), R_OK) != 0)
    return unavailable(fmt::format("{}: faultline-agent not found (build it: cmake --build ... --target faultline-agent)",
                                   agent_bin.string()));
  const std::string id = options.cluster_id.empty() ? random_hex(3) : options.cluster_id;
  const std::filesystem::path file = cluster_state_dir() / (id + ".json");
  if (std::filesystem::exists(file)) return invalid_input(fmt::format("cluster {} already exists ({})", id, file.string()));
  const std::string cluster_dir = fmt::format("{}/faultline-{}", o.remote_dir == "/" ? "" : o.remote_dir, id);
  nlohmann::json state{{"provider", "ssh"}, {"id", id}, {"remote_dir", cluster_dir},
                       {"nodes", nlohmann::json::array()}, {"created_by_pid", ::getpid()}};
  for (const auto& host : o.hosts) {
    state["nodes"].push_back({{"name", host.name}, {"address", host.address}, {"port", host.port}, {"user", host.user},
                              {"identity", host.identity}, {"public_key", host.public_key}, {"known_hosts", o.known_hosts},
                              {"connect_timeout_ns", o.connect_timeout}, {"connect_attempts", o.connect_attempts},
                              {"agent_port", o.agent_port}, {"dir", cluster_dir + "/" + host.name}, {"agent_pid", 0},
                              {"created", false}});
  }
  if (auto w = write_state_file(state, file); !w) return w.error();

  SshBringUp bring_up(o, agent_bin, cluster_dir, state, file, options.interrupted);
  const std::size_t n = o.hosts.size();
  std::vector<Result<NodeInfo>> results(n, Result<NodeInfo>(internal_error("not started")));
  {
    std::vector<std::thread> threads;
    for (std::size_t i = 0; i < n; ++i) threads.emplace_back([&, i] { results[i] = bring_up.node(i); });
    for (auto& t : threads) t.join();
  }
  std::vector<std::string> errors;
  std::vector<NodeInfo> nodes;
  ErrorCode code = ErrorCode::kUnavailable;
  for (auto& r : results) {
    if (r) {
      nodes.push_back(std::move(*r));
    } else {
      if (errors.empty()) code = r.error().code;
      errors.push_back(r.error().message);
    }
  }
  auto& forwarders = bring_up.forwarders();
  if (!errors.empty()) {
    for (auto& f : forwarders)
      if (f) f->stop();
    (void)down(state);
    std::string message = errors.size() == 1 ? errors.front() : "cannot bring up the ssh cluster:";
    if (errors.size() > 1)
      for (const auto& e : errors) message += "\n  " + e;
    return Error{code, message};
  }
  return std::unique_ptr<Cluster>(
      std::make_unique<RecordedCluster>(
          state, file, std::move(nodes),
          // A fresh (stateless) provider: the caller's may be gone by teardown.
          [](const nlohmann::json& s) { return SshProvider().down(s); },
          [owned = std::make_shared<std::vector<std::unique_ptr<ssh::Forwarder>>>(std::move(forwarders))] {
            for (auto& f : *owned) f->stop();
          }));
}

Result<void> SshProvider::down(const nlohmann::json& state) {
  std::vector<std::string> problems;
  std::mutex mutex;
  std::vector<std::thread> threads;
  if (state.contains("nodes"))
    for (const auto& node : state["nodes"]) {
      if (!node.value("created", false)) continue;
      threads.emplace_back([&, node] {
        const std::string where = fmt::format("node {} ({})", node.value("name", ""), node.value("address", ""));
        auto session = ssh::Session::connect(connect_options(node));
        Result<void> r = ok_result();
        if (!session) {
          r = session.error();
        } else {
          auto out = (*session)->exec(down_script(node.value("dir", ""), node.value("agent_pid", 0LL)));
          if (!out) r = out.error();
          else if (out->exit_status != 0)
            r = io_error(fmt::format("could not remove {}: {}", node.value("dir", ""), out->output));
        }
        if (!r) {
          std::lock_guard lock(mutex);
          problems.push_back(where + ": " + r.error().message);
        }
      });
    }
  for (auto& t : threads) t.join();
  return finish_down(state, problems);
}

nlohmann::json SshProvider::status(const nlohmann::json& state) {
  nlohmann::json out{{"id", state.value("id", "")}, {"provider", "ssh"}, {"remote_dir", state.value("remote_dir", "")}};
  auto nodes = nlohmann::json::array();
  if (state.contains("nodes"))
    for (const auto& node : state["nodes"]) {
      nlohmann::json n{{"name", node.value("name", "")}, {"address", node.value("address", "")},
                       {"port", node.value("port", 22)}, {"dir", node.value("dir", "")},
                       {"agent_pid", node.value("agent_pid", 0LL)}};
      auto session = ssh::Session::connect(connect_options(node));
      if (!session) {
        n["reachable"] = false;
        n["error"] = session.error().message;
      } else {
        n["reachable"] = true;
        const std::string d = ssh::shell_quote(node.value("dir", ""));
        auto dir = (*session)->exec(fmt::format("[ -d {} ]", d));
        n["dir_exists"] = dir && dir->exit_status == 0;
        auto alive = (*session)->exec(fmt::format("grep -qF {}/ /proc/{}/cmdline 2>/dev/null", d, node.value("agent_pid", 0LL)));
        n["agent_running"] = alive && alive->exit_status == 0;
      }
      nodes.push_back(n);
    }
  out["nodes"] = nodes;
  return out;
}

FAULTLINE_REGISTER_PROVIDER("ssh", SshProvider);

}  // namespace faultline::controller
#endif  // FAULTLINE_HAVE_LIBSSH2
