// NetnsCluster: N network namespaces joined by a bridge, for integration tests.
//
// Contract:
//  - create(n) makes namespaces "flt<pid>-<seq>-n<i>" (i = 1..n) and a hub
//    namespace "flt<pid>-<seq>-hub" holding bridge "br0". Node i has interface
//    "eth0" (a veth whose peer "p<i>" is enslaved to br0) with address
//    <subnet>.<i>/24 (default 198.18.0.i) and loopback up; the hub has
//    <subnet>.254 on br0, so code running in the hub reaches every node (a
//    "controller" position). Everything lives inside these namespaces: the
//    host's interfaces, routes and firewall are never touched, so clusters of
//    concurrent tests never collide even with equal addresses.
//  - Teardown kills the processes started with spawn() (SIGKILL, reaped) and
//    deletes every namespace. It runs from the destructor and from teardown();
//    calling it twice is harmless. create() also removes namespaces left by
//    earlier test processes that died (their pid is gone).
//  - exec() runs a program (no shell) inside a namespace via `ip netns exec`
//    and returns its exit code and merged stdout+stderr. run_in() forks a child
//    that setns()-es into the namespace and runs a lambda there (its return
//    value is the child's exit code / the string handed back). ScopedNetns
//    moves the CALLING THREAD into a namespace until it goes out of scope:
//    sockets opened meanwhile stay in that namespace.
// Requires root. Errors are returned as Result values naming the failed step.
#pragma once

#include <sys/types.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "common/result.h"

namespace faultline::testing {

struct NetnsNode {
  std::string ns;         // namespace name (for `ip netns exec`)
  std::string address;    // e.g. "198.18.0.1"
  std::string interface;  // "eth0"
};

struct ExecOutput {
  int exit_code = -1;
  std::string output;  // stdout and stderr, merged
};

struct NetnsOptions {
  std::string subnet = "198.18.0";  // first three octets; nodes are .1 .. .n, the hub .254
};

class NetnsCluster {
 public:
  static Result<std::unique_ptr<NetnsCluster>> create(int nodes, NetnsOptions options = {});
  ~NetnsCluster();
  NetnsCluster(const NetnsCluster&) = delete;
  NetnsCluster& operator=(const NetnsCluster&) = delete;

  const std::vector<NetnsNode>& nodes() const { return nodes_; }
  const NetnsNode& node(int index) const { return nodes_.at(index); }  // 0-based
  const std::string& hub_ns() const { return hub_; }
  std::string hub_address() const { return options_.subnet + ".254"; }

  // Runs argv in namespace ns through `ip netns exec`.
  static ExecOutput exec(const std::string& ns, const std::vector<std::string>& argv);
  // Runs fn in a forked child that entered namespace ns; returns fn's value as
  // the exit code (or -1 when setns/fork failed, 128+sig on a signal).
  static int run_in(const std::string& ns, const std::function<int()>& fn);
  // Same, handing a string back from the child (e.g. measurements as JSON).
  static Result<std::string> run_in_capture(const std::string& ns, const std::function<std::string()>& fn);

  // Starts argv in namespace ns in the background (stdout/stderr to log_path
  // when given, else /dev/null). The process is killed at teardown.
  Result<pid_t> spawn(const std::string& ns, const std::vector<std::string>& argv, const std::string& log_path = {});
  // SIGKILLs and reaps one spawned process now.
  void kill(pid_t pid);

  // Deletes everything; idempotent.
  void teardown();

 private:
  NetnsCluster() = default;
  NetnsOptions options_;
  std::vector<NetnsNode> nodes_;
  std::string hub_;
  std::vector<std::string> created_;  // namespaces to delete
  std::vector<pid_t> spawned_;
};

// Moves the calling thread into a network namespace until destroyed.
class ScopedNetns {
 public:
  explicit ScopedNetns(const std::string& ns);
  ~ScopedNetns();
  ScopedNetns(const ScopedNetns&) = delete;
  ScopedNetns& operator=(const ScopedNetns&) = delete;
  bool ok() const { return ok_; }
  const std::string& error() const { return error_; }

 private:
  int original_ = -1;
  bool ok_ = false;
  std::string error_;
};

}  // namespace faultline::testing
