#include "agent/core/server.h"

#include <deque>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "agent/core/session.h"

namespace faultline::agent {

namespace asio = boost::asio;
using asio::ip::tcp;

class Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(Server& server, tcp::socket socket, std::uint64_t id, std::string peer)
      : server_(server), socket_(std::move(socket)), id_(id), peer_(std::move(peer)) {}

  void start() {
    auto weak = weak_from_this();
    session_ = std::make_unique<Session>(
        server_.token_, peer_,
        [weak](std::string line) {
          if (auto self = weak.lock()) self->write(std::move(line));
        },
        [weak](nlohmann::json body) {
          if (auto self = weak.lock()) self->submit(std::move(body));
        });
    spdlog::info("connection {} from {}", id_, peer_);
    write(session_->greeting());
    read();
  }

  void close() {
    if (closed_) return;
    closed_ = true;
    server_.events_.unsubscribe(id_);
    boost::system::error_code ignored;
    socket_.shutdown(tcp::socket::shutdown_both, ignored);
    socket_.close(ignored);
    server_.forget(id_);
    spdlog::info("connection {} from {} closed ({} accepted, {} refused)", id_, peer_,
                 session_ ? session_->accepted() : 0, session_ ? session_->refused() : 0);
  }

 private:
  void read() {
    auto self = shared_from_this();
    socket_.async_read_some(asio::buffer(buffer_), [self](boost::system::error_code ec, std::size_t n) {
      if (ec || self->closed_) {
        self->close();
        return;
      }
      self->session_->feed(std::string_view(self->buffer_.data(), n));
      self->read();
    });
  }

  void submit(nlohmann::json body) {
    auto self = shared_from_this();
    asio::post(server_.workers_, [self, body = std::move(body)] {
      ConnectionContext context;
      context.id = self->id_;
      auto weak = std::weak_ptr<Connection>(self);
      asio::io_context& io = self->server_.io_;
      context.send_event = [weak, &io](Nanos mono, const nlohmann::json& event) {
        auto line = nlohmann::json{{"type", "event"}, {"agent_mono", mono}, {"event", event}}.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
        asio::post(io, [weak, line = std::move(line)]() mutable {
          if (auto connection = weak.lock()) connection->write(std::move(line));
        });
      };
      auto response = self->server_.dispatcher_->handle(body, context).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
      asio::post(io, [self, response = std::move(response)]() mutable { self->write(std::move(response)); });
    });
  }

  void write(std::string line) {
    if (closed_) return;
    line.push_back('\n');
    queue_.push_back(std::move(line));
    if (queue_.size() == 1) flush();
  }

  void flush() {
    auto self = shared_from_this();
    asio::async_write(socket_, asio::buffer(queue_.front()), [self](boost::system::error_code ec, std::size_t) {
      if (ec) {
        self->close();
        return;
      }
      self->queue_.pop_front();
      if (!self->queue_.empty()) self->flush();
    });
  }

  Server& server_;
  tcp::socket socket_;
  std::uint64_t id_;
  std::string peer_;
  std::unique_ptr<Session> session_;
  std::array<char, 16384> buffer_{};
  std::deque<std::string> queue_;
  bool closed_ = false;
};

Server::Server(asio::io_context& io, asio::thread_pool& workers, std::string token, EventHub& events)
    : io_(io), workers_(workers), token_(std::move(token)), events_(events), acceptor_(io) {}

Server::~Server() = default;

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

void Server::accept() { do_accept(); }

void Server::do_accept() {
  acceptor_.async_accept([this](boost::system::error_code ec, tcp::socket socket) {
    if (stopped_) return;
    if (!ec) {
      boost::system::error_code peer_ec;
      auto remote = socket.remote_endpoint(peer_ec);
      std::string peer = peer_ec ? "unknown" : fmt::format("{}:{}", remote.address().to_string(), remote.port());
      socket.set_option(tcp::no_delay(true), peer_ec);
      auto id = next_id_++;
      auto connection = std::make_shared<Connection>(*this, std::move(socket), id, peer);
      connections_[id] = connection;
      connection->start();
    } else if (ec != asio::error::operation_aborted) {
      spdlog::warn("accept failed: {}", ec.message());
    }
    do_accept();
  });
}

void Server::forget(std::uint64_t id) { connections_.erase(id); }

void Server::stop() {
  stopped_ = true;
  boost::system::error_code ignored;
  acceptor_.close(ignored);
  auto connections = connections_;
  for (auto& [id, weak] : connections)
    if (auto connection = weak.lock()) connection->close();
  connections_.clear();
}

Result<std::pair<std::string, std::uint16_t>> parse_listen_address(const std::string& text) {
  auto colon = text.rfind(':');
  if (colon == std::string::npos) return invalid_input(fmt::format("--listen '{}': expected ADDR:PORT", text));
  std::string host = text.substr(0, colon);
  std::string port_text = text.substr(colon + 1);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  if (port_text.empty() || port_text.size() > 5 || port_text.find_first_not_of("0123456789") != std::string::npos)
    return invalid_input(fmt::format("--listen '{}': port must be a number 0-65535", text));
  auto port = std::stoul(port_text);
  if (port > 65535) return invalid_input(fmt::format("--listen '{}': port must be a number 0-65535", text));
  return std::make_pair(host, static_cast<std::uint16_t>(port));
}

}  // namespace faultline::agent
