// Server: the agent's TCP control server (Boost.Asio).
//
// Contract: accepts any number of persistent connections; each gets a
// Session (challenge, authentication, framing). Authenticated requests run
// on a small worker pool, so several may be in flight per connection; their
// responses are written back in completion order, each line whole. Events
// of a subscribed connection are queued on the same write path, in hub
// order. A connection that closes unsubscribes; its faults keep their leases
// (and expire unless renewed). stop() closes the listener and every
// connection. All socket work happens on the io_context's thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include <boost/asio.hpp>

#include "agent/core/dispatcher.h"
#include "agent/core/event_hub.h"

namespace faultline::agent {

class Connection;

class Server {
 public:
  Server(boost::asio::io_context& io, boost::asio::thread_pool& workers, std::string token, EventHub& events);

  // Must be set before accept().
  void set_dispatcher(Dispatcher* dispatcher) { dispatcher_ = dispatcher; }
  ~Server();

  // Binds and listens (port 0 picks a free port); accept() starts serving.
  Result<void> bind(const std::string& address, std::uint16_t port);
  std::uint16_t port() const { return port_; }
  std::string address() const { return address_; }
  void accept();
  void stop();

 private:
  friend class Connection;
  void do_accept();
  void forget(std::uint64_t id);

  boost::asio::io_context& io_;
  boost::asio::thread_pool& workers_;
  std::string token_;
  Dispatcher* dispatcher_ = nullptr;
  EventHub& events_;
  boost::asio::ip::tcp::acceptor acceptor_;
  std::uint16_t port_ = 0;
  std::string address_;
  std::uint64_t next_id_ = 1;
  std::map<std::uint64_t, std::weak_ptr<Connection>> connections_;
  bool stopped_ = false;
};

// Parses "ADDR:PORT", "[v6]:PORT" or ":PORT" (all addresses).
Result<std::pair<std::string, std::uint16_t>> parse_listen_address(const std::string& text);

}  // namespace faultline::agent
