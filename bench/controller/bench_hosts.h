// BenchHosts: N real faultline-agent processes, each on its own simulated
// host, for controller_fanout_bench.
//
// Contract:
//  - start(n) gives every agent its own network namespace, named
//    "<prefix>-<i>" (/run/netns/<prefix>-<i>, visible to `ip netns`), with
//    only loopback up; the agent listens on 127.0.0.1:7450 there, as every
//    real host's agent listens on the same port. Unless options.shared_run,
//    each agent also gets its own mount namespace with a private tmpfs on
//    /run: the iptables lock files (/run/xtables.lock taken by
//    `iptables-restore -w`, /run/faultline-iptables.lock taken by
//    IptablesChains) are per host on real hosts, so they are per agent here.
//  - The agents start in parallel (forked from the calling thread, which must
//    outlive them: they get SIGTERM when it exits, PR_SET_PDEATHSIG), each in
//    its own session, with state dir and log under options.scratch/<i>.
//    clients() are AgentClient connections opened from inside each namespace
//    (the socket lives there; the calling thread does not move).
//  - teardown() (also the destructor) closes the clients, SIGTERMs the agents
//    (they heal what they still have), SIGKILLs any left after 5 s, reaps
//    them, unmounts and removes every namespace name and the scratch dir. It
//    is idempotent. remove_stale() removes namespace names and scratch dirs
//    "<base>-<pid>-*" left by a bench whose pid is gone (a SIGKILLed run;
//    its agents died with it).
// Needs root. Errors are values naming the step that failed.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "agent/client/agent_client.h"
#include "common/result.h"

namespace faultline::bench {

struct HostsOptions {
  std::filesystem::path agent_binary;  // faultline-agent
  std::filesystem::path scratch;       // per-agent state dirs and logs
  std::string prefix;                  // namespace names: <prefix>-<i>
  bool shared_run = false;             // true: all agents share the host's /run (one lock for all)
  const std::atomic<bool>* stop = nullptr;  // polled while waiting for agents to come up
};

class BenchHosts {
 public:
  static constexpr std::uint16_t kPort = 7450;

  static Result<std::unique_ptr<BenchHosts>> start(int n, const HostsOptions& options);
  ~BenchHosts();
  BenchHosts(const BenchHosts&) = delete;
  BenchHosts& operator=(const BenchHosts&) = delete;

  std::vector<std::unique_ptr<agent::AgentClient>>& clients() { return clients_; }
  const std::vector<pid_t>& pids() const { return pids_; }
  // CPU time (user+system) of all agents so far, in ns, from /proc/<pid>/stat
  // (clock-tick resolution): the agents' own, and that of the programs they
  // ran and reaped (iptables-save, iptables-restore).
  struct Cpu {
    Nanos own = 0;
    Nanos programs = 0;
  };
  Cpu agents_cpu() const;
  // Sum of the agents' resident memory (VmRSS), bytes.
  std::uint64_t agents_rss() const;

  void teardown();

  static void remove_stale(const std::string& base, const std::filesystem::path& scratch_root);

 private:
  BenchHosts() = default;
  HostsOptions options_;
  std::vector<std::string> names_;  // namespace names created (file under /run/netns)
  std::vector<pid_t> pids_;
  std::vector<std::unique_ptr<agent::AgentClient>> clients_;
};

}  // namespace faultline::bench
