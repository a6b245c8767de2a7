// fault_time_bench: the time a user waits from the controller's decision to a
// fault being in effect on the target host, transport included: faultline
// (one request on the agent's persistent authenticated connection: direct TCP
// as the local and docker providers use it, the SSH provider's forwarded
// channel, an agent in a docker container) beside what command-driven tools
// do against the same host: one SSH exec per command (a new OpenSSH
// connection each; an OpenSSH ControlMaster connection; one libssh2 session
// with a channel per command, as Jepsen keeps one session per node), and one
// `docker exec` / Docker Engine API exec per command (Pumba).
//
// Target host: a network namespace running a real sshd (and faultline agents),
// the controller in the namespaces' hub; and, where docker runs and the
// faultline node image exists, a container of that image.
//
// "In effect": the call that installs the fault returned success (faultline:
// the agent's reply; a command tool: every command's exit status came back 0
// over its transport), timed from just before the first byte is sent; then,
// outside the timing, on every sample, the rules are in the target's kernel
// (iptables -S / iptables -t mangle -S / tc filter show in its namespace) —
// a sample where they are not is a failure — and, once per path, a partition
// is checked by traffic (UDP from each peer no longer arrives). Heal is timed
// the same way and checked gone.
//
// Usage: fault_time_bench [--iterations N] [--docker-image IMAGE] [--no-docker]
// Needs root, /usr/sbin/sshd, ssh, ssh-keygen; docker optional.
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "agent/client/agent_client.h"
#include "bench/e2e/docker_target.h"
#include "bench/e2e/scratch_dir.h"
#include "bench/e2e/sshd_target.h"
#include "common/process/launch.h"
#include "controller/cluster/provider.h"
#include "faults/fault_spec.h"
#include "tests/support/netns.h"
#include "tests/support/traffic.h"

using namespace faultline;
namespace fs = std::filesystem;

namespace {

using Clock = std::chrono::steady_clock;
using Command = std::vector<std::string>;
std::atomic<bool> g_stop{false};

constexpr std::uint16_t kSshPort = 2222;
constexpr std::uint16_t kAgentPort = 7450;
constexpr std::uint16_t kSshAgentPort = 17450;

std::string join(const Command& c) {
  std::string s;
  for (const auto& a : c) s += (s.empty() ? "" : " ") + a;
  return s;
}

// The peers' commands: what Jepsen and Pumba run for the same fault.
struct Commands {
  std::vector<Command> apply;
  std::set<int> apply_allowed_exit;  // exit codes the tool ignores (e.g. "no qdisc to delete")
  std::vector<Command> heal;
  std::set<int> heal_allowed_exit;
};

// jepsen.net/iptables drop!: on the target, one rule per peer it must not hear.
// heal!: iptables -F -w; iptables -X -w.
Commands jepsen_partition(const std::vector<std::string>& peers) {
  Commands c;
  for (const auto& p : peers) c.apply.push_back({"iptables", "-A", "INPUT", "-s", p, "-j", "DROP", "-w"});
  c.heal = {{"iptables", "-F", "-w"}, {"iptables", "-X", "-w"}};
  return c;
}

// The tc stand-ins for qdiscs this kernel may lack (sch_prio, sch_sfq,
// sch_netem are all missing on some minimal kernels; htb is there): each
// command keeps its place in the peer's sequence, so the number of tc
// executions, and what one costs, is the peer's; the effect is a
// classification, not a delay.
struct TcKernel {
  bool prio = false, sfq = false, netem = false;
};

Command root_prio(const TcKernel& k, Command prio_args) {
  Command c = {"tc", "qdisc", "add", "dev", "eth0", "root", "handle", "1:"};
  if (k.prio) c.insert(c.end(), prio_args.begin(), prio_args.end());
  else c.insert(c.end(), {"htb", "default", "0"});
  return c;
}

// Under band `band` of the root: `qdisc` (when the kernel has it) or an htb class.
Command band(const TcKernel& k, bool have, const std::string& band, const std::string& handle, Command qdisc) {
  if (have && k.prio) {
    Command c = {"tc", "qdisc", "add", "dev", "eth0", "parent", band, "handle", handle};
    c.insert(c.end(), qdisc.begin(), qdisc.end());
    return c;
  }
  return {"tc", "class", "add", "dev", "eth0", "parent", "1:", "classid", band, "htb", "rate", "32gbit"};
}

// jepsen.net shape! {:delay}: qdisc del, prio root, netem on band 4, one u32
// filter per peer; fast!: qdisc del.
Commands jepsen_delay(const std::vector<std::string>& peers, const TcKernel& k) {
  Commands c;
  c.apply = {{"tc", "qdisc", "del", "dev", "eth0", "root"},
             root_prio(k, {"prio", "bands", "4", "priomap", "1", "2", "2", "2", "1", "2", "0", "0", "1", "1", "1", "1", "1",
                           "1", "1", "1"}),
             band(k, k.netem, "1:4", "40:", {"netem", "delay", "10ms"})};
  for (const auto& p : peers)
    c.apply.push_back({"tc", "filter", "add", "dev", "eth0", "parent", "1:0", "protocol", "ip", "prio", "3", "u32",
                       "match", "ip", "dst", p, "flowid", "1:4"});
  c.apply_allowed_exit = {2};  // Jepsen's qdisc-del ignores exit 2 (nothing to delete)
  c.heal = {{"tc", "qdisc", "del", "dev", "eth0", "root"}};
  c.heal_allowed_exit = {2};
  return c;
}

// Pumba netem --target IP (docker runtime): `which tc`, then prio root, sfq on
// bands 1 and 2, netem on band 3, one u32 filter per IP; stop: qdisc del.
Commands pumba_delay(const std::vector<std::string>& peers, const TcKernel& k) {
  Commands c;
  c.apply = {{"which", "tc"},
             root_prio(k, {"prio"}),
             band(k, k.sfq, "1:1", "10:", {"sfq"}),
             band(k, k.sfq, "1:2", "20:", {"sfq"}),
             band(k, k.netem, "1:3", "30:", {"netem", "delay", "10ms"})};
  for (const auto& p : peers)
    c.apply.push_back({"tc", "filter", "add", "dev", "eth0", "protocol", "ip", "parent", "1:0", "prio", "1", "u32",
                       "match", "ip", "dst", p, "flowid", "1:3"});
  c.heal = {{"tc", "qdisc", "del", "dev", "eth0", "root"}};
  return c;
}

// One way to reach the target: runs one command there.
using Runner = std::function<Result<void>(const Command&, const std::set<int>&)>;

Result<void> run_all(const Runner& runner, const std::vector<Command>& commands, const std::set<int>& allowed) {
  for (const auto& c : commands)
    if (auto r = runner(c, allowed); !r) return r;
  return ok_result();
}

// How the bench reads the target's kernel state (outside the timing).
using Observer = std::function<std::string(const Command&)>;

std::string hex_address(const std::string& dotted) {
  unsigned a = 0, b = 0, c = 0, d = 0;
  std::sscanf(dotted.c_str(), "%u.%u.%u.%u", &a, &b, &c, &d);
  return fmt::format("{:02x}{:02x}{:02x}{:02x}", a, b, c, d);
}

struct Path {
  std::string name;
  int requests = 0;  // messages/commands per apply
  std::function<Result<void>()> apply, heal;
  std::function<bool(const std::string&)> present;  // the fault's rules, in the observed state
  Observer observe;  // empty: nothing to check (a no-op round trip)
  Command observe_argv;
  std::function<bool()> traffic_blocked;  // once per path; may be empty
  bool reference_candidate = false;      // a reused-connection SSH path
  std::vector<double> apply_ms, heal_ms;
  std::string error;
};

struct Stats {
  std::size_t n = 0;
  double p50 = 0, p99 = 0;
};

Stats stats(std::vector<double> ms) {
  Stats s;
  s.n = ms.size();
  if (ms.empty()) return s;
  std::sort(ms.begin(), ms.end());
  auto at = [&](double q) { return ms[std::min(ms.size() - 1, static_cast<std::size_t>(q * (ms.size() - 1) + 0.5))]; };
  s.p50 = at(0.50);
  s.p99 = at(0.99);
  return s;
}

double elapsed_ms(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

// One sample of one path: apply (timed), check in effect, heal (timed), check gone.
bool sample(Path& p, bool keep, bool check_traffic) {
  auto start = Clock::now();
  auto applied = p.apply();
  double apply_ms = elapsed_ms(start);
  if (!applied) {
    p.error = "apply: " + applied.error().message;
    (void)p.heal();
    return false;
  }
  if (!p.observe) {  // a request that changes nothing: only its round trip counts
    if (keep) p.apply_ms.push_back(apply_ms);
    return true;
  }
  std::string state = p.observe(p.observe_argv);
  if (!p.present(state)) {
    p.error = "apply returned but the rules are not in the target's kernel:\n" + state;
    (void)p.heal();
    return false;
  }
  if (check_traffic && p.traffic_blocked && !p.traffic_blocked()) {
    p.error = "rules present but UDP from a peer still arrives";
    (void)p.heal();
    return false;
  }
  start = Clock::now();
  auto healed = p.heal();
  double heal_ms = elapsed_ms(start);
  if (!healed) {
    p.error = "heal: " + healed.error().message;
    return false;
  }
  state = p.observe(p.observe_argv);
  if (p.present(state)) {
    p.error = "heal returned but the rules are still there:\n" + state;
    return false;
  }
  if (keep) {
    p.apply_ms.push_back(apply_ms);
    p.heal_ms.push_back(heal_ms);
  }
  return true;
}

// Round robin over the paths (rotating who goes first), so a load spike on
// this shared machine hits every path alike. A failed path stops measuring.
// Each sample starts kSettle after the previous one's heal: the kernel
// destroys deleted nf_tables rules and chains after an RCU grace period, and
// a commit made while that is pending waits for it, so without the pause
// every path would pay for the heal of the path before it (what a fault
// applied seconds after the last heal never does).
constexpr auto kSettle = std::chrono::milliseconds(50);

void measure(std::vector<Path>& paths, int iterations) {
  const int warmup = 3;
  for (int i = -warmup; i < iterations && !g_stop; ++i) {
    for (std::size_t k = 0; k < paths.size() && !g_stop; ++k) {
      Path& p = paths[(k + static_cast<std::size_t>(i + warmup)) % paths.size()];
      if (!p.error.empty()) continue;
      std::this_thread::sleep_for(kSettle);
      if (!sample(p, i >= 0, i == 0)) std::fprintf(stderr, "fault_time_bench: %s: %s\n", p.name.c_str(), p.error.c_str());
    }
  }
}

void print_table(const std::string& title, std::vector<Path>& paths) {
  // The reference: the faster (by apply p50) reused-connection SSH path.
  const Path* ref = nullptr;
  for (const auto& p : paths)
    if (p.reference_candidate && p.error.empty() && !p.apply_ms.empty() &&
        (!ref || stats(p.apply_ms).p50 < stats(ref->apply_ms).p50))
      ref = &p;
  const double ref_apply = ref ? stats(ref->apply_ms).p50 : 0, ref_heal = ref ? stats(ref->heal_ms).p50 : 0;
  std::printf("\n%s\n", title.c_str());
  std::printf("%-58s %5s %4s %9s %9s %7s %9s %9s %7s\n", "path", "n", "msgs", "apply p50", "apply p99", "ratio",
              "heal p50", "heal p99", "ratio");
  for (const auto& p : paths) {
    if (!p.error.empty()) {
      std::printf("%-58s FAILED: %s\n", p.name.c_str(), p.error.substr(0, 200).c_str());
      continue;
    }
    Stats a = stats(p.apply_ms), h = stats(p.heal_ms);
    std::printf("%-58s %5zu %4d %9.2f %9.2f %6.1fx %9.2f %9.2f %6.1fx%s\n", p.name.c_str(), a.n, p.requests, a.p50, a.p99,
                ref ? ref_apply / a.p50 : 0.0, h.p50, h.p99, ref ? ref_heal / h.p50 : 0.0, &p == ref ? "  <- ref" : "");
  }
  if (ref) std::printf("ratio = p50 of the reference (%s) / p50 of the row\n", ref->name.c_str());
}

std::string observe_with(const Command& argv) {
  process::LaunchOptions o;
  o.argv = {"sh", "-c", join(argv) + " 2>&1"};
  o.out = process::Stream::capture();
  auto r = process::run(o, 20'000'000'000);
  return r ? r->out : "observe failed: " + r.error().message;
}

bool has_all(const std::string& text, const std::vector<std::string>& needles) {
  for (const auto& n : needles)
    if (text.find(n) == std::string::npos) return false;
  return true;
}

struct Options {
  int iterations = 30;
  std::string docker_image = "faultline/node:local";
  bool docker = true;
};

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--iterations" && i + 1 < argc) o.iterations = std::atoi(argv[++i]);
    else if (a == "--docker-image" && i + 1 < argc) o.docker_image = argv[++i];
    else if (a == "--no-docker") o.docker = false;
    else {
      std::fprintf(stderr, "usage: fault_time_bench [--iterations N] [--docker-image IMAGE] [--no-docker]\n");
      std::exit(254);
    }
  }
  return o;
}

bool qdisc_works(const std::string& ns, const Command& qdisc) {
  Command add = {"tc", "qdisc", "add", "dev", "eth0", "root", "handle", "fe:"};
  add.insert(add.end(), qdisc.begin(), qdisc.end());
  auto r = testing::NetnsCluster::exec(ns, add);
  if (r.exit_code == 0) testing::NetnsCluster::exec(ns, {"tc", "qdisc", "del", "dev", "eth0", "root"});
  return r.exit_code == 0;
}

std::string tc_kernel_note(const TcKernel& k) {
  if (k.prio && k.sfq && k.netem) return "tc prio, sfq and netem available: the peers' exact commands";
  std::string missing;
  for (auto [have, name] : {std::pair{k.prio, "sch_prio"}, std::pair{k.sfq, "sch_sfq"}, std::pair{k.netem, "sch_netem"}})
    if (!have) missing += (missing.empty() ? "" : ", ") + std::string(name);
  return "this kernel lacks " + missing +
         ": in the peers' sequences an htb root stands in for prio and an htb class for each missing band qdisc "
         "(one tc command each, as in the peer's sequence; the traffic is classified, not delayed)";
}

}  // namespace

int main(int argc, char** argv) {
  const Options options = parse(argc, argv);
  std::setvbuf(stdout, nullptr, _IOLBF, 0);  // a run cut short still shows its tables
  if (::geteuid() != 0) {
    std::fprintf(stderr, "fault_time_bench: needs root (network namespaces, sshd, iptables)\n");
    return 1;
  }
  // Nothing this bench starts may inherit a descriptor it was given (e.g. the
  // host lock of `flock LOCK fault_time_bench`): an agent or sshd that
  // outlived a crash would hold that lock forever.
  for (int fd = 3; fd < 1024; ++fd) {
    int flags = ::fcntl(fd, F_GETFD);
    if (flags >= 0) ::fcntl(fd, F_SETFD, flags | FD_CLOEXEC);
  }
  struct sigaction sa {};
  sa.sa_handler = [](int) { g_stop = true; };
  for (int s : {SIGINT, SIGTERM, SIGHUP}) ::sigaction(s, &sa, nullptr);

  bench::ScratchDir::remove_leftovers();
  bench::DockerTarget::remove_leftovers();
  const bench::ScratchDir scratch_dir = bench::ScratchDir::create();
  const fs::path scratch = scratch_dir.path();
  auto cluster = testing::NetnsCluster::create(3, {"198.18.31"});
  if (!cluster) {
    std::fprintf(stderr, "fault_time_bench: %s\n", cluster.error().message.c_str());
    return 1;
  }
  auto& c = **cluster;
  const std::string target_ns = c.node(0).ns, target = c.node(0).address;
  const std::vector<std::string> peers = {c.node(1).address, c.node(2).address};
  auto spec_of = [](const std::string& json) {
    auto spec = faults::FaultSpec::parse_text(json);
    if (!spec) std::fprintf(stderr, "fault_time_bench: %s: %s\n", json.c_str(), spec.error().message.c_str());
    return spec;
  };
  const std::string peer_list = "[\"" + peers[0] + "\",\"" + peers[1] + "\"]";
  const auto partition_parsed =
      spec_of(R"({"kind":"partition","direction":"in","peers":)" + peer_list + "}");
  const auto delay_parsed =
      spec_of(R"({"kind":"delay","delay":"10ms","interface":"eth0","destinations":)" + peer_list + "}");
  if (!partition_parsed || !delay_parsed) return 255;
  const faults::FaultSpec& partition_spec = *partition_parsed;
  const faults::FaultSpec& delay_spec = *delay_parsed;
  TcKernel tc_kernel;
  tc_kernel.prio = qdisc_works(target_ns, {"prio"});
  tc_kernel.sfq = qdisc_works(target_ns, {"sfq"});
  tc_kernel.netem = qdisc_works(target_ns, {"netem", "delay", "1ms"});

  // The docker target first: its agent is reached from this (the host's) namespace.
  std::string docker_skip = options.docker ? bench::DockerTarget::unavailable_reason(options.docker_image)
                                           : "--no-docker";
  const std::string token = "fault-time-bench-" + std::to_string(::getpid()) + "-secret";
  fs::create_directories(scratch / "agent");
  std::ofstream(scratch / "agent" / "token") << token << "\n";
  ::chmod((scratch / "agent" / "token").c_str(), 0600);
  std::unique_ptr<bench::DockerTarget> docker;
  std::unique_ptr<agent::AgentClient> docker_client;
  if (docker_skip.empty()) {
    auto d = bench::DockerTarget::start(options.docker_image, (scratch / "agent" / "token").string());
    if (!d) docker_skip = d.error().message;
    else {
      docker = std::move(*d);
      auto client = agent::AgentClient::connect({docker->address(), 7070, token});
      if (!client) docker_skip = "agent in the container: " + client.error().message;
      else docker_client = std::move(*client);
    }
  }

  // The controller's position: the hub namespace, for everything below.
  testing::ScopedNetns hub(c.hub_ns());
  if (!hub.ok()) {
    std::fprintf(stderr, "fault_time_bench: %s\n", hub.error().c_str());
    return 1;
  }
  auto sshd = bench::SshdTarget::start(c, 0, kSshPort, scratch / "sshd");
  if (!sshd) {
    std::fprintf(stderr, "fault_time_bench: sshd: %s\n", sshd.error().message.c_str());
    return 1;
  }
  auto& ssh = **sshd;
  if (auto r = ssh.open_master(); !r) {
    std::fprintf(stderr, "fault_time_bench: %s\n", r.error().message.c_str());
    return 1;
  }
  if (auto r = ssh.open_session(); !r) {
    std::fprintf(stderr, "fault_time_bench: libssh2: %s\n", r.error().message.c_str());
    return 1;
  }

  // faultline agents 1 and 1b: in the target's namespace, on its address (the
  // local provider's and docker provider's transport: TCP from the
  // controller); 1 journals on this machine's disk as the providers do,
  // 1b on a tmpfs, to show what the journal's disk writes cost.
  const fs::path shm_state = fs::path("/dev/shm") / scratch.filename();
  struct ShmGuard {
    fs::path path;
    ~ShmGuard() {
      std::error_code ec;
      fs::remove_all(path, ec);
    }
  } shm_guard{shm_state};
  auto start_agent = [&](std::uint16_t port, const fs::path& state, const std::string& log)
      -> std::pair<std::optional<pid_t>, std::unique_ptr<agent::AgentClient>> {
    auto pid = c.spawn(target_ns,
                       {FAULTLINE_BIN_DIR "/faultline-agent", "--listen", target + ":" + std::to_string(port),
                        "--token-file", (scratch / "agent" / "token").string(), "--state-dir", state.string(),
                        "--interface", "eth0", "--log-level", "warn"},
                       (scratch / "agent" / log).string());
    if (!pid) {
      std::fprintf(stderr, "fault_time_bench: agent: %s\n", pid.error().message.c_str());
      return {};
    }
    for (int i = 0; i < 100; ++i) {
      if (auto client = agent::AgentClient::connect({target, port, token}, 1'000'000'000); client)
        return {*pid, std::move(*client)};
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    std::fprintf(stderr, "fault_time_bench: the agent in %s did not answer (log %s)\n", target_ns.c_str(),
                 (scratch / "agent" / log).c_str());
    return {*pid, nullptr};
  };
  auto [direct_pid, direct] = start_agent(kAgentPort, scratch / "agent" / "state", "agent.log");
  if (!direct) return 1;
  auto [shm_pid, shm_direct] = start_agent(kAgentPort + 1, shm_state, "agent-tmpfs.log");
  if (!shm_direct) return 1;

  // faultline agent 2: brought up by the ssh provider through that sshd,
  // reached through its forwarded channel.
  ::setenv("FAULTLINE_STATE_DIR", (scratch / "clusters").c_str(), 1);
  fs::create_directories(scratch / "remote");
  controller::ClusterConfig ssh_config;
  ssh_config.provider = "ssh";
  ssh_config.nodes = {"n1"};
  ssh_config.options = {{"hosts", {{{"host", target}, {"port", kSshPort}, {"user", "root"},
                                    {"identity", ssh.client_key().string()}}}},
                        {"known_hosts", ssh.known_hosts().string()},
                        {"agent_port", kSshAgentPort},
                        {"remote_dir", (scratch / "remote").string()},
                        {"connect_attempts", 2}};
  controller::ProviderOptions provider_options;
  provider_options.bin_dir = FAULTLINE_BIN_DIR;
  auto ssh_cluster = controller::make_provider("ssh")->up(ssh_config, provider_options);
  if (!ssh_cluster) {
    std::fprintf(stderr, "fault_time_bench: ssh provider: %s\n", ssh_cluster.error().message.c_str());
    return 1;
  }
  auto forwarded = agent::AgentClient::connect((*ssh_cluster)->nodes()[0].agent);
  if (!forwarded) {
    std::fprintf(stderr, "fault_time_bench: agent via ssh: %s\n", forwarded.error().message.c_str());
    return 1;
  }

  // ---- the paths ----
  const Command observe_partition = {"iptables", "-w", "-S"};
  const Command observe_delay = {"sh", "-c",
                                 "'iptables -w -t mangle -S; tc qdisc show dev eth0; tc filter show dev eth0'"};
  const Observer in_target = [&](const Command& argv) {
    Command full = {"ip", "netns", "exec", target_ns};
    full.insert(full.end(), argv.begin(), argv.end());
    return observe_with(full);
  };
  const Observer in_container = [&](const Command& argv) { return observe_with(docker->in_netns(argv)); };
  const std::vector<std::string> partition_marks = {"-s " + peers[0] + "/32", "-s " + peers[1] + "/32"};
  auto partition_present = [&](const std::string& s) { return has_all(s, partition_marks) && has_all(s, {"DROP"}); };
  auto shaper_present = [&](const std::string& s) {
    return has_all(s, {"-d " + peers[0] + "/32", "-d " + peers[1] + "/32", "NFQUEUE"});
  };
  auto tc_present = [&](const std::string& s) {
    return has_all(s, {hex_address(peers[0]), hex_address(peers[1]), tc_kernel.prio ? "prio" : "htb"});
  };
  std::function<bool()> blocked = [&] {
    for (int i = 1; i <= 2; ++i)
      if (testing::udp_delivered(c.node(i).ns, target_ns, target, 3) != 0) return false;
    return true;
  };

  auto faultline_path = [&](const std::string& name, agent::AgentClient& client, const faults::FaultSpec& spec,
                            auto present, Observer observer, Command observe_argv, std::function<bool()> traffic) {
    auto id = std::make_shared<std::string>();
    Path p;
    p.name = name;
    p.requests = 1;
    p.apply = [&client, spec, id]() -> Result<void> {
      auto r = client.apply(spec);
      if (!r) return r.error();
      *id = r->id;
      return ok_result();
    };
    p.heal = [&client, id]() -> Result<void> {
      if (id->empty()) return ok_result();
      auto r = client.heal(*id);
      id->clear();
      return r;
    };
    p.present = present;
    p.observe = std::move(observer);
    p.observe_argv = std::move(observe_argv);
    p.traffic_blocked = std::move(traffic);
    return p;
  };
  auto peer_path = [&](const std::string& name, Runner runner, const Commands& commands, auto present,
                       Observer observer, Command observe_argv, std::function<bool()> traffic, bool reference) {
    Path p;
    p.name = name;
    p.requests = static_cast<int>(commands.apply.size());
    p.apply = [runner, commands] { return run_all(runner, commands.apply, commands.apply_allowed_exit); };
    p.heal = [runner, commands] { return run_all(runner, commands.heal, commands.heal_allowed_exit); };
    p.present = present;
    p.observe = std::move(observer);
    p.observe_argv = std::move(observe_argv);
    p.traffic_blocked = std::move(traffic);
    p.reference_candidate = reference;
    return p;
  };
  const Runner fresh = [&](const Command& cmd, const std::set<int>& ok) { return ssh.fresh(join(cmd), ok); };
  const Runner mux = [&](const Command& cmd, const std::set<int>& ok) { return ssh.mux(join(cmd), ok); };
  const Runner session = [&](const Command& cmd, const std::set<int>& ok) { return ssh.session(join(cmd), ok); };
  const Runner docker_cli = [&](const Command& cmd, const std::set<int>& ok) { return docker->cli(cmd, ok); };
  const Runner docker_api = [&](const Command& cmd, const std::set<int>& ok) { return docker->api(cmd, ok); };


  std::printf("fault_time_bench: controller decides -> fault in effect on the target host, ms; %d samples per path "
              "(3 warm-up rounds first), paths interleaved round robin\n",
              options.iterations);
  std::printf("target: network namespace %s (%s) with sshd; controller in the hub namespace; docker: %s\n",
              target_ns.c_str(), target.c_str(),
              docker_skip.empty() ? ("container " + docker->name() + " (" + docker->address() + ")").c_str()
                                  : ("SKIPPED: " + docker_skip).c_str());

  // (a) partition from 2 peers.
  {
    const Commands jepsen = jepsen_partition(peers);
    std::vector<Path> paths;
    paths.push_back(faultline_path("faultline: agent, TCP (local/docker provider)", *direct, partition_spec,
                                   partition_present, in_target, observe_partition, blocked));
    paths.push_back(faultline_path("  the same, agent's journal on tmpfs", *shm_direct, partition_spec,
                                   partition_present, in_target, observe_partition, {}));
    paths.push_back(faultline_path("faultline: agent, ssh provider's forwarded channel", **forwarded, partition_spec,
                                   partition_present, in_target, observe_partition, blocked));
    if (docker_client)
      paths.push_back(faultline_path("faultline: agent in a docker container, TCP", *docker_client, partition_spec,
                                     partition_present, in_container, observe_partition, {}));
    paths.push_back(peer_path("ssh exec per rule, new connection each (OpenSSH)", fresh, jepsen, partition_present,
                              in_target, observe_partition, blocked, false));
    paths.push_back(peer_path("ssh exec per rule, ControlMaster connection (OpenSSH)", mux, jepsen, partition_present,
                              in_target, observe_partition, blocked, true));
    paths.push_back(peer_path("ssh exec per rule, one libssh2 session (Jepsen-like)", session, jepsen,
                              partition_present, in_target, observe_partition, blocked, true));
    if (docker) {
      paths.push_back(peer_path("docker exec per rule (CLI)", docker_cli, jepsen, partition_present, in_container,
                                observe_partition, {}, false));
      paths.push_back(peer_path("docker Engine API exec per rule (Pumba-like)", docker_api, jepsen, partition_present,
                                in_container, observe_partition, {}, false));
    }
    measure(paths, options.iterations);
    print_table("(a) partition from 2 peers (drop what arrives from each: faultline partition direction=in; peers: "
                "Jepsen's `iptables -A INPUT -s PEER -j DROP -w` per peer, heal `iptables -F -w; iptables -X -w`)",
                paths);
  }

  // (b) delay 10ms to 2 peers.
  if (!g_stop) {
    const Commands jepsen = jepsen_delay(peers, tc_kernel), pumba = pumba_delay(peers, tc_kernel);
    std::vector<Path> paths;
    paths.push_back(faultline_path("faultline: agent, TCP (local/docker provider)", *direct, delay_spec, shaper_present,
                                   in_target, observe_delay, {}));
    paths.push_back(faultline_path("  the same, agent's journal on tmpfs", *shm_direct, delay_spec,
                                   shaper_present, in_target, observe_delay, {}));
    paths.push_back(faultline_path("faultline: agent, ssh provider's forwarded channel", **forwarded, delay_spec,
                                   shaper_present, in_target, observe_delay, {}));
    if (docker_client)
      paths.push_back(faultline_path("faultline: agent in a docker container, TCP", *docker_client, delay_spec,
                                     shaper_present, in_container, observe_delay, {}));
    paths.push_back(peer_path("ssh exec per command, new connection each (OpenSSH)", fresh, jepsen, tc_present,
                              in_target, observe_delay, {}, false));
    paths.push_back(peer_path("ssh exec per command, ControlMaster connection (OpenSSH)", mux, jepsen, tc_present,
                              in_target, observe_delay, {}, true));
    paths.push_back(peer_path("ssh exec per command, one libssh2 session (Jepsen-like)", session, jepsen, tc_present,
                              in_target, observe_delay, {}, true));
    if (docker) {
      paths.push_back(peer_path("docker exec per command (CLI, Pumba's commands)", docker_cli, pumba, tc_present,
                                in_container, observe_delay, {}, false));
      paths.push_back(peer_path("docker Engine API exec per command (Pumba-like)", docker_api, pumba, tc_present,
                                in_container, observe_delay, {}, false));
    }
    measure(paths, options.iterations);
    print_table(fmt::format("(b) delay 10ms to 2 peers (faultline: the agent's delay mechanism on this kernel; peers: "
                            "over SSH Jepsen's shape! sequence, over docker Pumba's netem --target sequence; heal: "
                            "tc qdisc del root)\n{}",
                            tc_kernel_note(tc_kernel)),
                paths);
  }

  // Where the time goes: one round trip that does nothing, per transport.
  if (!g_stop) {
    std::vector<Path> floor;
    auto noop = [&](const std::string& name, std::function<Result<void>()> once) {
      Path p;
      p.name = name;
      p.requests = 1;
      p.apply = std::move(once);
      floor.push_back(std::move(p));
    };
    noop("faultline: agent, TCP: list (no fault)", [&]() -> Result<void> {
      auto r = direct->list();
      if (!r) return r.error();
      return ok_result();
    });
    noop("faultline: agent, ssh forwarded channel: list", [&]() -> Result<void> {
      auto r = (*forwarded)->list();
      if (!r) return r.error();
      return ok_result();
    });
    if (docker_client)
      noop("faultline: agent in docker container: list", [&]() -> Result<void> {
        auto r = docker_client->list();
        if (!r) return r.error();
        return ok_result();
      });
    noop("ssh exec `true`, new connection (OpenSSH)", [&] { return ssh.fresh("true"); });
    noop("ssh exec `true`, ControlMaster (OpenSSH)", [&] { return ssh.mux("true"); });
    noop("ssh exec `true`, libssh2 session", [&] { return ssh.session("true"); });
    noop("ssh exec `iptables -w -S`, libssh2 session", [&] { return ssh.session("iptables -w -S >/dev/null"); });
    if (docker) {
      noop("docker exec `true` (CLI)", [&] { return docker->cli({"true"}); });
      noop("docker Engine API exec `true`", [&] { return docker->api({"true"}); });
    }
    measure(floor, options.iterations);
    std::printf("\nwhere the time goes: one request that changes nothing, per transport (ms)\n");
    for (const auto& p : floor) {
      if (!p.error.empty()) {
        std::printf("%-58s FAILED: %s\n", p.name.c_str(), p.error.c_str());
        continue;
      }
      Stats s = stats(p.apply_ms);
      std::printf("%-58s %5zu %9.2f %9.2f\n", p.name.c_str(), s.n, s.p50, s.p99);
    }
  }
  std::printf("\nkernel: sch_netem %s, sch_prio %s, sch_sfq %s\n", tc_kernel.netem ? "yes" : "MISSING",
              tc_kernel.prio ? "yes" : "MISSING", tc_kernel.sfq ? "yes" : "MISSING");

  // Teardown, also after a failure above: destructors in reverse order
  // (forwarded client, ssh cluster -> stops its agent over ssh, agents,
  // sshd + master + session, the hub namespace, the container, the cluster).
  (*forwarded)->close();
  if (auto down = (*ssh_cluster)->teardown(); !down)
    std::fprintf(stderr, "fault_time_bench: ssh cluster down: %s\n", down.error().message.c_str());
  direct->close();
  shm_direct->close();
  c.kill(*direct_pid);
  c.kill(*shm_pid);
  return g_stop ? 130 : 0;
}
