// Server: the agent's TCP control server (Boost.Asio).
//
// Contract: accepts any number of persistent connections; each gets a
// Session (challenge, authentication, framing). Connections are served by a
// small pool of connection threads (kConnectionThreads) sharing one
// io_context: a read handler verifies the lines it got (in order, so HMAC
// counters are checked in arrival order), issues the connection's next read,
// and only then executes the requests, on its own thread, with no hand-off:
// so several requests may be in flight per connection, and one slow request
// delays no other. Requests that may block (a mechanism, the supervisor, the
// probe: Dispatcher::may_block) run inline only while at least one connection
// thread stays free of them; beyond that they go to the worker pool, so reads,
// quick requests (renew, list, clock, ...) and event writes always have a
// thread. Responses are written in completion order, each line whole, by the
// thread that produced them (a non-blocking send; the rest, if the socket is
// full, by an asynchronous write in order). Events of a subscribed connection
// take the same write path, in hub order. A connection that closes
// unsubscribes; its faults keep their leases (and expire unless renewed).
// stop() closes the listener and every connection and waits for the
// connection threads (requests running inline finish first).
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio.hpp>

#include "agent/core/dispatcher.h"
#include "agent/core/event_hub.h"

namespace faultline::agent {

class Connection;

class Server {
 public:
  // Connection threads; at most kConnectionThreads - 1 of them run blocking
  // requests at a time.
  static constexpr int kConnectionThreads = 4;

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
  void join_threads();

  boost::asio::io_context& io_;       // the listener
  boost::asio::thread_pool& workers_;  // blocking requests beyond the inline limit
  std::string token_;
  Dispatcher* dispatcher_ = nullptr;
  EventHub& events_;
  boost::asio::ip::tcp::acceptor acceptor_;
  std::uint16_t port_ = 0;
  std::string address_;

  boost::asio::io_context connections_io_{kConnectionThreads};
  std::optional<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> work_;
  std::vector<std::thread> threads_;
  std::atomic<int> blocking_inline_{0};  // connection threads running a blocking request

  std::mutex mutex_;  // guards the fields below (the listener's and the connection threads')
  std::uint64_t next_id_ = 1;
  std::map<std::uint64_t, std::weak_ptr<Connection>> connections_;
  bool stopped_ = false;
};

// Parses "ADDR:PORT", "[v6]:PORT" or ":PORT" (all addresses).
Result<std::pair<std::string, std::uint16_t>> parse_listen_address(const std::string& text);

}  // namespace faultline::agent
