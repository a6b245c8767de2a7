// Traffic probes between namespaces of a NetnsCluster, measured, not assumed.
//
// Contract: every socket is created inside the named namespace (the calling
// thread enters it with ScopedNetns just for socket()), then used from the
// calling thread, so one test thread can talk across namespaces without
// forking. Sockets are owned by the returned objects (closed on destruction).
// Ports: pass 0 to let the kernel choose.
#pragma once

#include <cstdint>
#include <string>

#include "common/result.h"

namespace faultline::testing {

class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd();
  Fd(Fd&& other) noexcept : fd_(other.release()) {}
  Fd& operator=(Fd&& other) noexcept;
  int get() const { return fd_; }
  int release() { int f = fd_; fd_ = -1; return f; }

 private:
  int fd_ = -1;
};

// A socket of `type` (SOCK_DGRAM/SOCK_STREAM) created in namespace ns.
Result<Fd> socket_in(const std::string& ns, int type);

// UDP receiver bound to addr:port in ns. port() gives the bound port.
struct UdpReceiver {
  Fd fd;
  std::uint16_t port = 0;
  static Result<UdpReceiver> open(const std::string& ns, const std::string& addr, std::uint16_t port = 0);
  // Datagrams received until `quiet_ms` pass with nothing new (or total_ms).
  int drain(int quiet_ms = 200, int total_ms = 5000);
};

// Sends `count` datagrams of `size` bytes from ns to addr:port (paced by
// `gap_us` microseconds between sends). Returns how many send() accepted.
int udp_send(const std::string& from_ns, const std::string& addr, std::uint16_t port, int count,
             int size = 64, int gap_us = 0);

// Datagrams of `count` sent from from_ns that arrive at to_addr in to_ns.
int udp_delivered(const std::string& from_ns, const std::string& to_ns, const std::string& to_addr, int count);

// An established TCP connection from from_ns to to_addr in to_ns.
struct TcpPair {
  Fd client;
  Fd server;  // the accepted side
  // port 0: any free port of to_ns.
  static Result<TcpPair> connect(const std::string& from_ns, const std::string& to_ns, const std::string& to_addr,
                                 int timeout_ms = 2000, std::uint16_t port = 0);
  // Client sends one byte; true if the server reads it within timeout_ms.
  bool roundtrip(int timeout_ms = 500);
};

// True if a new TCP connection from from_ns to to_addr:port is accepted
// within timeout_ms (a listener in to_ns is opened for the probe).
bool tcp_connects(const std::string& from_ns, const std::string& to_ns, const std::string& to_addr,
                  int timeout_ms = 500, std::uint16_t port = 0);

}  // namespace faultline::testing
