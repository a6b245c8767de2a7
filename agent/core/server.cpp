#include "agent/core/server.h"

#include "common/host_port.h"

#include <pthread.h>

#include <deque>
#include <variant>
#include <vector>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "agent/core/session.h"
#include "agent/protocol/send_now.h"

namespace faultline::agent {

namespace asio = boost::asio;
using asio::ip::tcp;

namespace {
std::string dump_line(const nlohmann::json& message) {
  return message.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}
}  // namespace

// One control connection. Every call on socket_ (read and write initiation,
// shutdown, close) is made under mutex_, from whichever connection thread (or
// the listener's thread for start() and stop()); the session is fed by the
// read handler alone (one read is outstanding at a time).
class Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(Server& server, tcp::socket socket, std::uint64_t id, std::string peer)
      : server_(server), socket_(std::move(socket)), id_(id), peer_(std::move(peer)) {}

  void start() {
    session_ = std::make_unique<Session>(
        server_.token_, peer_, [this](std::string line) { write(std::move(line)); },
        [this](nlohmann::json body) { incoming_.push_back(std::move(body)); });
    spdlog::info("connection {} from {}", id_, peer_);
    write(session_->greeting());
    std::lock_guard lock(mutex_);
    if (!closed_) read();
  }

  void close() {
    {
      std::lock_guard lock(mutex_);
      if (closed_) return;
      closed_ = true;
      boost::system::error_code ignored;
      socket_.shutdown(tcp::socket::shutdown_both, ignored);
      socket_.close(ignored);
      queue_.clear();
    }
    // Outside mutex_: the hub calls our write() under its own lock.
    server_.events_.unsubscribe(id_);
    server_.forget(id_);
    spdlog::info("connection {} from {} closed ({} accepted, {} refused)", id_, peer_, session_->accepted(),
                 session_->refused());
  }

 private:
  void read() {  // mutex_ held
    socket_.async_read_some(asio::buffer(buffer_), [self = shared_from_this()](boost::system::error_code ec,
                                                                                std::size_t n) {
      self->on_read(ec, n);
    });
  }

  // Verifies what arrived (counters in arrival order), issues the next read,
  // then runs the requests here: no hand-off, and the next request of this
  // connection is read by another connection thread meanwhile.
  void on_read(boost::system::error_code ec, std::size_t n) {
    if (ec) {
      close();
      return;
    }
    session_->feed(std::string_view(buffer_.data(), n));
    std::vector<nlohmann::json> requests;
    requests.swap(incoming_);
    {
      std::lock_guard lock(mutex_);
      if (closed_) return;
      read();
    }
    run(requests);
  }

  // Quick requests first, in order; of those that may block, all but the last
  // go to other connection threads, the last runs here.
  void run(std::vector<nlohmann::json>& requests) {
    std::vector<nlohmann::json*> blocking;
    for (auto& body : requests) {
      if (Dispatcher::may_block(body)) blocking.push_back(&body);
      else execute(body);
    }
    for (std::size_t i = 0; i + 1 < blocking.size(); ++i)
      asio::post(server_.connections_io_,
                 [self = shared_from_this(), body = std::move(*blocking[i])] { self->run_blocking(body); });
    if (!blocking.empty()) run_blocking(*blocking.back());
  }

  // Inline while another connection thread stays free of blocking requests;
  // else on the worker pool.
  void run_blocking(const nlohmann::json& body) {
    auto& busy = server_.blocking_inline_;
    if (busy.fetch_add(1) < Server::kConnectionThreads - 1) {
      execute(body);
      busy.fetch_sub(1);
      return;
    }
    busy.fetch_sub(1);
    asio::post(server_.workers_, [self = shared_from_this(), body] { self->execute(body); });
  }

  void execute(const nlohmann::json& body) {
    ConnectionContext context;
    context.id = id_;
    context.send_event = [weak = weak_from_this()](Nanos mono, const nlohmann::json& event) {
      if (auto self = weak.lock())
        self->write(dump_line(nlohmann::json{{"type", "event"}, {"agent_mono", mono}, {"event", event}}));
    };
    write(dump_line(server_.dispatcher_->handle(body, context)));
  }

  // Sends at once when nothing is queued (non-blocking); what the socket does
  // not take now is queued and written asynchronously, in order. A failed
  // send shuts the socket down: the pending read then fails and closes the
  // connection (not closed here: the hub may be calling us under its lock).
  void write(std::string line) {
    line.push_back('\n');
    std::lock_guard lock(mutex_);
    if (closed_ || broken_) return;
    if (queue_.empty()) {
      auto sent = protocol::send_now(socket_.native_handle(), line);
      if (std::holds_alternative<protocol::SendFailed>(sent)) {
        break_connection();
        return;
      }
      const auto n = std::get<std::size_t>(sent);
      if (n == line.size()) return;
      line.erase(0, n);
    }
    queue_.push_back(std::move(line));
    if (queue_.size() == 1) write_front();
  }

  void write_front() {  // mutex_ held, queue_ not empty
    socket_.async_write_some(asio::buffer(queue_.front()), [self = shared_from_this()](boost::system::error_code ec,
                                                                                        std::size_t n) {
      std::lock_guard lock(self->mutex_);
      if (self->closed_ || self->broken_) return;
      if (ec) {
        self->break_connection();
        return;
      }
      auto& front = self->queue_.front();
      if (n < front.size()) front.erase(0, n);
      else self->queue_.pop_front();
      if (!self->queue_.empty()) self->write_front();
    });
  }

  void break_connection() {  // mutex_ held
    broken_ = true;
    queue_.clear();
    boost::system::error_code ignored;
    socket_.shutdown(tcp::socket::shutdown_both, ignored);
  }

  Server& server_;
  tcp::socket socket_;
  std::uint64_t id_;
  std::string peer_;
  std::unique_ptr<Session> session_;
  std::array<char, 16384> buffer_{};
  std::vector<nlohmann::json> incoming_;  // the read handler's

  std::mutex mutex_;
  std::deque<std::string> queue_;  // unsent response and event lines, in order
  bool closed_ = false;
  bool broken_ = false;  // a write failed; the read handler will close
};

Server::Server(asio::io_context& io, asio::thread_pool& workers, std::string token, EventHub& events)
    : io_(io), workers_(workers), token_(std::move(token)), events_(events), acceptor_(io) {}

Server::~Server() { stop(); }

Result<void> Server::bind(const std::string& address, std::uint16_t port) {
  boost::system::error_code ec;
  auto ip = address.empty() ? asio::ip::address(asio::ip::address_v6::any()) : asio::ip::make_address(address, ec);
  if (ec) return invalid_input(fmt::format("--listen: '{}' is not an IP address", address));
  tcp::endpoint endpoint(ip, port);
  acceptor_.open(endpoint.protocol(), ec);
  if (!ec) acceptor_.set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) acceptor_.bind(endpoint, ec);
  if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return io_error(fmt::format("cannot listen on {}:{}: {}", address, port, ec.message()));
  port_ = acceptor_.local_endpoint().port();
  address_ = address;
  return ok_result();
}

void Server::accept() {
  if (threads_.empty()) {
    work_.emplace(connections_io_.get_executor());
    for (int i = 0; i < kConnectionThreads; ++i)
      threads_.emplace_back([this] {
        pthread_setname_np(pthread_self(), "fl-conn");
        connections_io_.run();
      });
  }
  do_accept();
}

void Server::do_accept() {
  // The accepted socket belongs to the connection threads' io_context.
  acceptor_.async_accept(connections_io_, [this](boost::system::error_code ec, tcp::socket socket) {
    std::shared_ptr<Connection> connection;
    {
      std::lock_guard lock(mutex_);
      if (stopped_) return;
      if (!ec) {
        boost::system::error_code peer_ec;
        auto remote = socket.remote_endpoint(peer_ec);
        std::string peer = peer_ec ? "unknown" : fmt::format("{}:{}", remote.address().to_string(), remote.port());
        socket.set_option(tcp::no_delay(true), peer_ec);
        auto id = next_id_++;
        connection = std::make_shared<Connection>(*this, std::move(socket), id, peer);
        connections_[id] = connection;
      }
    }
    if (connection) connection->start();
    else if (ec != asio::error::operation_aborted) spdlog::warn("accept failed: {}", ec.message());
    do_accept();
  });
}

void Server::forget(std::uint64_t id) {
  std::lock_guard lock(mutex_);
  connections_.erase(id);
}

void Server::stop() {
  std::map<std::uint64_t, std::weak_ptr<Connection>> connections;
  {
    std::lock_guard lock(mutex_);
    stopped_ = true;
    connections.swap(connections_);
  }
  boost::system::error_code ignored;
  acceptor_.close(ignored);
  for (auto& [id, weak] : connections)
    if (auto connection = weak.lock()) connection->close();
  join_threads();
}

// Requests running inline finish first; queued handlers are dropped (their
// connections are closed).
void Server::join_threads() {
  work_.reset();
  connections_io_.stop();
  for (auto& thread : threads_)
    if (thread.joinable() && thread.get_id() != std::this_thread::get_id()) thread.join();
  threads_.clear();
}

Result<std::pair<std::string, std::uint16_t>> parse_listen_address(const std::string& text) {
  auto parsed = parse_host_port(text, /*allow_port_zero=*/true);
  if (!parsed) return parsed.error().with_context("--listen");
  return std::make_pair(parsed->host, parsed->port);
}

}  // namespace faultline::agent
