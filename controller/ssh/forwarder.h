// Forwarder: a local TCP port whose connections are carried to a TCP port on
// the far side of an SSH connection (like `ssh -L`), for reaching an agent
// that listens only on the remote host's 127.0.0.1.
//
// Contract: start() takes a connected Session (which it then owns and drives
// non-blocking from its own thread), listens on 127.0.0.1 with an ephemeral
// port (local_port()), and for each accepted connection opens a
// direct-tcpip channel to target_host:target_port as seen from the server and
// copies bytes both ways until either side closes. A channel that cannot be
// opened closes the local connection. The destructor (or stop()) stops the
// thread, closes every connection and the session. One thread per Forwarder.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>

#include "common/result.h"
#include "controller/ssh/session.h"

namespace faultline::controller::ssh {

class Forwarder {
 public:
  static Result<std::unique_ptr<Forwarder>> start(std::unique_ptr<Session> session, std::string target_host,
                                                  std::uint16_t target_port);
  ~Forwarder();
  Forwarder(const Forwarder&) = delete;
  Forwarder& operator=(const Forwarder&) = delete;

  std::uint16_t local_port() const { return local_port_; }
  void stop();

 private:
  Forwarder() = default;
  void run();

  std::unique_ptr<Session> session_;
  std::string target_host_;
  std::uint16_t target_port_ = 0;
  int listen_fd_ = -1;
  int wake_[2] = {-1, -1};
  std::uint16_t local_port_ = 0;
  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

}  // namespace faultline::controller::ssh
