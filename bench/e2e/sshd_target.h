// SshdTarget: a real OpenSSH server (/usr/sbin/sshd) inside one node's network
// namespace, and the three ways a command-driven tool reaches it.
//
// Contract:
//  - start() makes `dir` (inside the bench's ScratchDir) with fresh host and
//    client keys, a known_hosts entry and an sshd config
//    (public-key root login, TCP forwarding on, port `port` on the node's
//    address), and starts sshd in the node's namespace through the cluster
//    (so the cluster's teardown kills it too), in a mount namespace where
//    root's ~/.bashrc is empty (bash reads it for every command sshd runs;
//    a stock host's is trivial, a developer machine's may cost 100s of ms). It returns once sshd accepts
//    TCP from the calling thread's namespace (the controller's: the hub).
//  - fresh(cmd) runs one command with a NEW OpenSSH connection (ssh client
//    process, handshake, auth, exec, close); mux(cmd) runs it over an
//    OpenSSH ControlMaster connection opened once by open_master()
//    (ControlPersist-style: the client still forks per command, the
//    handshake is paid once); session(cmd) runs it on a new exec channel of
//    one libssh2 session opened once by open_session() (what a JVM tool
//    such as Jepsen does: one session per node, a channel per command).
//    Each returns an Error unless the remote exit status is 0 (or is listed
//    in `allowed`).
//  - Cleanup: the destructor closes the master and the session, kills every
//    process whose command line names `dir` and removes it. Needs root.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <set>
#include <string>

#include "common/result.h"
#include "controller/ssh/session.h"
#include "tests/support/netns.h"

namespace faultline::bench {

class SshdTarget {
 public:
  static Result<std::unique_ptr<SshdTarget>> start(testing::NetnsCluster& cluster, int node, std::uint16_t port,
                                                   const std::filesystem::path& dir);
  ~SshdTarget();
  SshdTarget(const SshdTarget&) = delete;
  SshdTarget& operator=(const SshdTarget&) = delete;

  Result<void> open_master();
  Result<void> open_session();

  Result<void> fresh(const std::string& command, const std::set<int>& allowed = {});
  Result<void> mux(const std::string& command, const std::set<int>& allowed = {});
  Result<void> session(const std::string& command, const std::set<int>& allowed = {});

  const std::filesystem::path& dir() const { return dir_; }
  const std::string& address() const { return address_; }
  std::uint16_t port() const { return port_; }
  std::filesystem::path client_key() const { return dir_ / "client_key"; }
  std::filesystem::path known_hosts() const { return dir_ / "known_hosts"; }
  std::string sshd_log() const;

 private:
  SshdTarget() = default;
  std::vector<std::string> ssh_argv(bool with_master) const;
  Result<void> run_ssh(bool with_master, const std::string& command, const std::set<int>& allowed);

  testing::NetnsCluster* cluster_ = nullptr;
  std::filesystem::path dir_;
  std::string address_;
  std::uint16_t port_ = 0;
  pid_t master_ = -1;
  std::unique_ptr<controller::ssh::Session> session_;
};

}  // namespace faultline::bench
