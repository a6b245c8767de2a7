// faultline-demo-node: one node of the example replicated register store.
// Membership by the reference SWIM (or heartbeat) over UDP, quorum reads and
// writes over TCP, a circuit breaker per peer and retries with backoff; its
// detector, breaker and retry events go to $FAULTLINE_EVENTS. See
// examples/README.md for flags, bugs and suites.
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <set>

#include <CLI/CLI.hpp>

#include "examples/demo-node/coordinator.h"
#include "examples/demo-node/event_sink.h"
#include "examples/demo-node/membership.h"
#include "examples/demo-node/peer_link.h"
#include "examples/demo-node/rejoin_gate.h"
#include "examples/demo-node/replica_store.h"
#include "examples/demo-node/server.h"

using namespace faultline;
using namespace faultline::demo;

namespace {

const std::set<std::string> kBugs{"heartbeat-stale-table", "suspect-bumps-incarnation", "breaker-unlimited-half-open",
                                  "breaker-wall-clock",    "retry-no-cap",              "read-one",
                                  "slow-recovery"};

int fail(const std::string& message) {
  std::fprintf(stderr, "faultline-demo-node: %s\n", message.c_str());
  return 254;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"faultline-demo-node: a replicated register store built on faultline's reference mechanisms"};
  std::string name, listen, data, detector = "swim", events_mode = "auto";
  std::vector<std::string> bugs, names, addrs;
  std::string probe_interval = "700ms", probe_timeout = "350ms", heartbeat_interval = "250ms", heartbeat_timeout = "2s";
  std::string recovery_timeout = "2s", round_timeout = "400ms", base_delay = "50ms", max_delay = "200ms";
  std::string rejoin_hold = "10s";
  int suspicion_mult = 4, failure_threshold = 3, max_attempts = 5;
  std::uint64_t seed = 0;
  app.add_option("--name", name, "this node's name (the controller's {node})")->required();
  app.add_option("--listen", listen, "HOST:PORT for TCP (store) and UDP (membership)")->required();
  app.add_option("--peers", names, "other nodes: NAME=HOST:PORT,... or NAME,... with --peer-addresses")->delimiter(',');
  app.add_option("--peer-addresses", addrs, "HOST:PORT,... in the order of --peers ({peer_addresses})")->delimiter(',');
  app.add_option("--data", data, "directory for the replica's log (default: in memory)");
  app.add_option("--detector", detector, "swim or heartbeat")->check(CLI::IsMember({"swim", "heartbeat"}));
  app.add_option("--events", events_mode, "auto ($FAULTLINE_EVENTS, else stderr), stderr or none")
      ->check(CLI::IsMember({"auto", "stderr", "none"}));
  app.add_option("--bug", bugs, "reproduce a classic mistake (repeatable)")->check(CLI::IsMember(kBugs));
  app.add_option("--probe-interval", probe_interval, "SWIM probe interval");
  app.add_option("--probe-timeout", probe_timeout, "SWIM probe timeout");
  app.add_option("--suspicion-mult", suspicion_mult, "SWIM suspicion multiplier");
  app.add_option("--heartbeat-interval", heartbeat_interval, "heartbeat period");
  app.add_option("--heartbeat-timeout", heartbeat_timeout, "heartbeat silence until dead (suspect at half)");
  app.add_option("--failure-threshold", failure_threshold, "breaker: consecutive failures to open");
  app.add_option("--recovery-timeout", recovery_timeout, "breaker: open -> half_open after");
  app.add_option("--round-timeout", round_timeout, "one quorum round (and each peer call)");
  app.add_option("--max-attempts", max_attempts, "retry: attempts per operation");
  app.add_option("--base-delay", base_delay, "retry: first backoff");
  app.add_option("--max-delay", max_delay, "retry: backoff cap");
  app.add_option("--seed", seed, "randomness (default: from the name)");
  app.add_option("--rejoin-hold", rejoin_hold, "slow-recovery bug: how long client requests are refused after rejoining");
  CLI11_PARSE(app, argc, argv);
  std::set<std::string> bug(bugs.begin(), bugs.end());

  auto dur = [](const std::string& flag, const std::string& text) -> Nanos {
    auto d = parse_duration(text);
    if (!d) throw CLI::ValidationError(flag, d.error().message);
    return *d;
  };
  auto self = parse_endpoint(listen);
  if (!self) return fail("--listen: " + self.error().message);
  std::map<std::string, Endpoint> peer_map;
  std::erase(names, std::string());  // "--peers ''" (no peers) and stray commas
  std::erase(addrs, std::string());
  if (!addrs.empty() && addrs.size() != names.size()) return fail("--peers and --peer-addresses differ in length");
  for (std::size_t i = 0; i < names.size(); ++i) {
    std::string n = names[i], a = addrs.empty() ? "" : addrs[i];
    if (addrs.empty()) {
      auto eq = n.find('=');
      if (eq == std::string::npos) return fail("--peers entry '" + n + "' needs NAME=HOST:PORT (or --peer-addresses)");
      a = n.substr(eq + 1);
      n = n.substr(0, eq);
    }
    auto ep = parse_endpoint(a);
    if (!ep) return fail("--peers " + n + ": " + ep.error().message);
    if (n == name) continue;
    peer_map[n] = *ep;
  }
  if (seed == 0) seed = std::hash<std::string>{}(name) | 1;

  try {
    std::string path;
    auto mode = events_mode == "none" ? EventSink::Mode::kNone
                : events_mode == "stderr" ? EventSink::Mode::kStderr
                                          : EventSink::mode_from_env(path);
    EventSink events(name, mode, path);

    MembershipConfig mc;
    mc.kind = detector == "heartbeat" ? MembershipConfig::Kind::kHeartbeat : MembershipConfig::Kind::kSwim;
    mc.self = name;
    mc.listen = *self;
    mc.peers = peer_map;
    mc.swim = reference::SwimConfig::lan();
    mc.swim.probe_interval = dur("--probe-interval", probe_interval);
    mc.swim.probe_timeout = dur("--probe-timeout", probe_timeout);
    mc.swim.suspicion_mult = suspicion_mult;
    mc.swim.bug_suspect_bumps_incarnation = bug.count("suspect-bumps-incarnation") > 0;
    mc.heartbeat_interval = dur("--heartbeat-interval", heartbeat_interval);
    mc.heartbeat.timeout = dur("--heartbeat-timeout", heartbeat_timeout);
    mc.heartbeat_stale_table = bug.count("heartbeat-stale-table") > 0;
    mc.seed = seed;
    Membership membership(mc, events);

    ReplicaStore store;
    std::error_code ec;
    const bool restarted = !data.empty() && std::filesystem::exists(std::filesystem::path(data) / "store.log", ec);
    if (auto r = store.open(data); !r) return fail(r.error().message);

    PeerLinkOptions po;
    po.breaker.policy = reference::BreakerPolicy::kConsecutive;
    po.breaker.failure_threshold = failure_threshold;
    po.breaker.recovery_timeout = dur("--recovery-timeout", recovery_timeout);
    po.breaker.half_open_max_calls = 1;
    po.breaker.success_threshold = 1;
    if (auto v = reference::validate(po.breaker); !v) return fail(v.error().message);
    po.unlimited_half_open = bug.count("breaker-unlimited-half-open") > 0;
    po.wall_clock = bug.count("breaker-wall-clock") > 0;
    std::vector<std::shared_ptr<PeerLink>> links;
    for (const auto& [n, ep] : peer_map) links.push_back(std::make_shared<PeerLink>(n, ep, po, events));

    CoordinatorOptions co;
    co.self = name;
    co.round_timeout = dur("--round-timeout", round_timeout);
    co.retry.max_attempts = max_attempts;
    co.retry.base_delay = dur("--base-delay", base_delay);
    co.retry.multiplier = 2.0;
    co.retry.max_delay = dur("--max-delay", max_delay);
    co.retry.jitter = reference::Jitter::kEqual;
    if (auto v = reference::validate(co.retry); !v) return fail(v.error().message);
    co.read_one = bug.count("read-one") > 0;
    co.retry_no_cap = bug.count("retry-no-cap") > 0;
    co.seed = seed;
    Coordinator coordinator(co, store, links, events);

    std::vector<std::string> peer_names;
    for (const auto& [n, ep] : peer_map) peer_names.push_back(n);
    RejoinGate gate(bug.count("slow-recovery") ? dur("--rejoin-hold", rejoin_hold) : 0, peer_names,
                    [&](const std::string& peer) { return membership.status(peer); });
    if (restarted) gate.restart_hold();

    Server server(*self, [&](const nlohmann::json& req) -> nlohmann::json {
      const auto op = req.value("op", "");
      const auto key = req.value("key", "");
      // BUG (slow-recovery): clients are refused while the node "warms up".
      if ((op == "read" || op == "write") && gate.refusing())
        return {{"ok", false}, {"error", "warming up after rejoining: try later"}, {"definite", true}};
      if (op == "read") {
        auto v = coordinator.read(key);
        if (!v) return {{"ok", false}, {"error", v.error().message}, {"definite", true}};
        return {{"ok", true}, {"value", *v}};
      }
      if (op == "write") {
        auto r = coordinator.write(key, req.value("value", ""));
        if (!r) return {{"ok", false}, {"error", r.error().message}, {"definite", false}};
        return {{"ok", true}};
      }
      if (op == "get" || op == "put") return coordinator.serve_replica(req);
      if (op == "status") {
        nlohmann::json members = nlohmann::json::object();
        for (const auto& [n, ep] : peer_map) {
          auto s = membership.status(n);
          members[n] = s ? reference::to_string(*s) : "unknown";
        }
        return {{"ok", true}, {"node", name}, {"members", members}};
      }
      return {{"ok", false}, {"error", "unknown op '" + op + "'"}};
    });
    if (auto r = server.bind(); !r) return fail(r.error().message);
    if (auto r = membership.start(); !r) return fail(r.error().message);
    gate.start();
    std::string bug_list;
    for (const auto& b : bug) bug_list += " " + b;
    std::fprintf(stderr, "faultline-demo-node %s: listening on %s, %zu peers, detector %s, bugs:%s\n", name.c_str(),
                 listen.c_str(), peer_map.size(), detector.c_str(), bug_list.empty() ? " none" : bug_list.c_str());
    std::signal(SIGPIPE, SIG_IGN);
    server.run();
  } catch (const CLI::ValidationError& e) {
    return fail(e.what());
  }
  return 0;
}
