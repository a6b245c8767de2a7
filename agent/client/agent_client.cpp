// The AgentClient implementation: one Boost.Asio connection with its own I/O
// thread (agent/client/agent_client.h, agent/PROTOCOL.md).
#include "agent/client/agent_client.h"

#include <atomic>
#include <cstring>
#include <deque>
#include <future>
#include <mutex>
#include <thread>
#include <variant>

#include <boost/asio.hpp>
#include <fmt/format.h>

#include "agent/protocol/auth.h"
#include "agent/protocol/line_framer.h"
#include "agent/protocol/messages.h"
#include "agent/protocol/send_now.h"

namespace faultline::agent {

namespace {

namespace asio = boost::asio;
using asio::ip::tcp;

// Responses (a long list, a big probe) may be larger than requests.
constexpr std::size_t kMaxResponseBytes = 64u << 20;

class AsioAgentClient final : public AgentClient {
 public:
  AsioAgentClient(std::string token, Nanos timeout) : token_(std::move(token)), timeout_(timeout), socket_(io_) {}
  ~AsioAgentClient() override { close(); }

  Result<void> open(const AgentEndpoint& endpoint) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::nanoseconds(timeout_);
    boost::system::error_code ec;
    tcp::resolver resolver(io_);
    auto endpoints = resolver.resolve(endpoint.host, std::to_string(endpoint.port), ec);
    if (ec) return io_error(fmt::format("agent {}:{}: cannot resolve: {}", endpoint.host, endpoint.port, ec.message()));
    where_ = fmt::format("agent {}:{}", endpoint.host, endpoint.port);

    bool connected = false;
    boost::system::error_code connect_ec = asio::error::timed_out;
    asio::async_connect(socket_, endpoints, [&](boost::system::error_code e, const tcp::endpoint&) {
      connect_ec = e;
      connected = true;
    });
    io_.run_until(deadline);
    if (!connected) {
      socket_.close(ec);
      return Error{ErrorCode::kTimeout, fmt::format("{}: connect timed out", where_)};
    }
    if (connect_ec) return io_error(fmt::format("{}: cannot connect: {}", where_, connect_ec.message()));
    socket_.set_option(tcp::no_delay(true), ec);

    // The challenge line carries the per-connection nonce.
    asio::streambuf greeting;
    bool read_done = false;
    boost::system::error_code read_ec;
    io_.restart();
    asio::async_read_until(socket_, greeting, '\n', [&](boost::system::error_code e, std::size_t) {
      read_ec = e;
      read_done = true;
    });
    io_.run_until(deadline);
    if (!read_done) {
      socket_.close(ec);
      return Error{ErrorCode::kTimeout, fmt::format("{}: no greeting within the timeout", where_)};
    }
    if (read_ec) return io_error(fmt::format("{}: reading the greeting: {}", where_, read_ec.message()));
    std::string all(asio::buffers_begin(greeting.data()), asio::buffers_end(greeting.data()));
    auto newline = all.find('\n');
    auto challenge = nlohmann::json::parse(all.substr(0, newline), nullptr, false);
    if (challenge.is_discarded() || !challenge.is_object() || challenge.value("type", "") != "challenge" ||
        !challenge.contains("nonce") || !challenge["nonce"].is_string())
      return invalid_input(fmt::format("{}: does not speak the faultline agent protocol (bad greeting)", where_));
    nonce_ = challenge["nonce"].get<std::string>();

    framer_ = std::make_unique<protocol::LineFramer>(
        kMaxResponseBytes, [this](std::string_view line) { on_line(line); },
        [this](std::size_t) { fail_all(internal_error(where_ + ": response too large")); });
    if (newline + 1 < all.size()) framer_->feed(std::string_view(all).substr(newline + 1));
    io_.restart();
    read();
    io_thread_ = std::thread([this] {
      auto guard = asio::make_work_guard(io_);
      io_.run();
    });
    return ok_result();
  }

  Result<AgentHello> hello() override {
    auto result = request("hello", nlohmann::json::object());
    if (!result) return result.error();
    AgentHello out;
    out.version = result->value("version", "");
    out.hostname = result->value("hostname", "");
    out.capabilities = result->value("capabilities", nlohmann::json::object());
    return out;
  }

  Result<AppliedFault> apply(const faults::FaultSpec& spec, std::optional<Nanos> lease) override {
    nlohmann::json body = {{"spec", spec.to_json()}};
    if (lease) body["lease_ns"] = *lease;
    auto result = request("apply", std::move(body));
    if (!result) return result.error();
    return AppliedFault{result->value("id", ""), result->value("mechanism", ""), result->value("description", "")};
  }

  Result<void> heal(const std::string& fault_id) override { return void_request("heal", {{"fault", fault_id}}); }
  Result<void> heal_all() override { return void_request("heal_all", nlohmann::json::object()); }
  Result<nlohmann::json> list() override { return request("list", nlohmann::json::object()); }
  Result<void> renew() override { return void_request("renew", nlohmann::json::object()); }
  Result<void> start_sut(const SutSpec& sut) override {
    return void_request("sut_start", {{"sut", protocol::sut_to_json(sut)}});
  }
  Result<void> stop_sut() override { return void_request("sut_stop", nlohmann::json::object()); }
  Result<void> restart_sut() override { return void_request("sut_restart", nlohmann::json::object()); }

  Result<CommandRun> exec(const std::vector<std::string>& argv, Nanos timeout) override {
    auto result = request("exec", {{"command", argv}, {"timeout_ns", timeout}}, timeout + timeout_);
    if (!result) return result.error();
    return CommandRun{result->value("exit_code", -1), result->value("timed_out", false), result->value("output", "")};
  }

  Result<ClockSample> clock_sample() override {
    ClockSample sample;
    sample.controller_send = monotonic_now();
    auto result = request("clock", nlohmann::json::object());
    sample.controller_receive = monotonic_now();
    if (!result) return result.error();
    if (!result->contains("agent_mono") || !(*result)["agent_mono"].is_number_integer())
      return internal_error(where_ + ": clock answer without agent_mono");
    sample.agent_mono = (*result)["agent_mono"].get<Nanos>();
    return sample;
  }

  Result<void> subscribe_events(std::function<void(const AgentEvent&)> callback) override {
    {
      std::lock_guard lock(mutex_);
      event_callback_ = std::move(callback);
    }
    return void_request("subscribe_events", nlohmann::json::object());
  }

  void close() override {
    {
      std::lock_guard lock(mutex_);
      if (closed_ && !io_thread_.joinable()) return;
      closed_ = true;
    }
    asio::post(io_, [this] {
      boost::system::error_code ignored;
      socket_.shutdown(tcp::socket::shutdown_both, ignored);
      socket_.close(ignored);
      io_.stop();
    });
    if (io_thread_.joinable() && io_thread_.get_id() != std::this_thread::get_id()) io_thread_.join();
    fail_all(io_error(where_ + ": connection closed"));
  }

 private:
  using Promise = std::promise<nlohmann::json>;

  Result<void> void_request(const char* op, nlohmann::json body) {
    auto result = request(op, std::move(body));
    if (!result) return result.error();
    return ok_result();
  }

  Result<nlohmann::json> request(const char* op, nlohmann::json body, std::optional<Nanos> wait = {}) {
    const Nanos timeout = wait.value_or(timeout_);
    auto promise = std::make_shared<Promise>();
    auto future = promise->get_future();
    std::uint64_t id = 0;
    {
      std::lock_guard lock(mutex_);
      if (closed_) return io_error(fmt::format("{}: connection is closed ({} not sent)", where_, op));
      id = next_id_++;
      body["id"] = id;
      body["op"] = op;
      // The counter is assigned and the write queued under one lock, so the
      // agent sees counters strictly increasing in arrival order.
      auto line = protocol::make_envelope(token_, nonce_, ++counter_, body.dump());
      line.push_back('\n');
      pending_[id] = promise;
      if (auto sent = send_locked(std::move(line)); !sent) {
        pending_.erase(id);
        return sent.error().with_context(op);
      }
    }
    if (future.wait_for(std::chrono::nanoseconds(timeout)) != std::future_status::ready) {
      std::lock_guard lock(mutex_);
      pending_.erase(id);
      return Error{ErrorCode::kTimeout,
                   fmt::format("{}: no answer to {} within {}", where_, op, format_duration(timeout))};
    }
    auto response = future.get();
    if (response.is_object() && response.value("ok", false)) return response.value("result", nlohmann::json());
    if (response.is_object() && response.contains("local_error"))
      return Error{protocol::error_code_from_name(response["local_error"]["code"].get<std::string>()),
                   response["local_error"]["message"].get<std::string>()};
    return protocol::error_from_response(response).with_context(fmt::format("{}: {}", where_, op));
  }

  // Called with mutex_ held, connection open. Sends from the calling thread
  // (a non-blocking send on the descriptor: no hand-off to the I/O thread)
  // when nothing is queued; what the socket does not take now is queued and
  // written in order by the I/O thread. The descriptor stays open while
  // closed_ is false (close() sets it before the socket is closed).
  Result<void> send_locked(std::string line) {
    if (queue_.empty()) {
      auto sent = protocol::send_now(socket_.native_handle(), line);
      if (auto* failed = std::get_if<protocol::SendFailed>(&sent))
        return io_error(fmt::format("{}: write failed: {}", where_, std::strerror(failed->error_number)));
      const auto n = std::get<std::size_t>(sent);
      if (n == line.size()) return ok_result();
      line.erase(0, n);
    }
    queue_.push_back(std::move(line));
    if (queue_.size() == 1) asio::post(io_, [this] { flush(); });
    return ok_result();
  }

  void flush() {  // I/O thread
    std::lock_guard lock(mutex_);
    if (closed_ || queue_.empty()) return;
    socket_.async_write_some(asio::buffer(queue_.front()), [this](boost::system::error_code ec, std::size_t n) {
      {
        std::lock_guard lock(mutex_);
        if (!ec) {
          if (n < queue_.front().size()) queue_.front().erase(0, n);
          else queue_.pop_front();
          if (queue_.empty()) return;
        } else {
          queue_.clear();
        }
      }
      if (ec) fail_all(io_error(fmt::format("{}: write failed: {}", where_, ec.message())));
      else flush();
    });
  }

  void read() {
    socket_.async_read_some(asio::buffer(buffer_), [this](boost::system::error_code ec, std::size_t n) {
      if (ec) {
        {
          std::lock_guard lock(mutex_);
          closed_ = true;
        }
        fail_all(io_error(fmt::format("{}: connection lost: {}", where_, ec.message())));
        return;
      }
      framer_->feed(std::string_view(buffer_.data(), n));
      read();
    });
  }

  void on_line(std::string_view line) {
    auto message = nlohmann::json::parse(line, nullptr, false);
    if (message.is_discarded() || !message.is_object()) return;
    if (message.value("type", "") == "event") {
      AgentEvent event;
      event.agent_mono = message.value("agent_mono", Nanos{0});
      event.event = message.value("event", nlohmann::json::object());
      std::function<void(const AgentEvent&)> callback;
      {
        std::lock_guard lock(mutex_);
        callback = event_callback_;
      }
      if (callback) callback(event);
      return;
    }
    auto id_it = message.find("id");
    if (id_it == message.end() || !id_it->is_number_unsigned()) return;  // a refusal of nothing we sent
    std::shared_ptr<Promise> promise;
    {
      std::lock_guard lock(mutex_);
      auto it = pending_.find(id_it->get<std::uint64_t>());
      if (it == pending_.end()) return;  // timed out already
      promise = it->second;
      pending_.erase(it);
    }
    promise->set_value(std::move(message));
  }

  void fail_all(const Error& error) {
    std::map<std::uint64_t, std::shared_ptr<Promise>> pending;
    {
      std::lock_guard lock(mutex_);
      pending.swap(pending_);
    }
    nlohmann::json local = {{"local_error", {{"code", protocol::error_code_name(error.code)}, {"message", error.message}}}};
    for (auto& [id, promise] : pending) promise->set_value(local);
  }

  std::string token_;
  Nanos timeout_;
  std::string where_ = "agent";
  std::string nonce_;
  asio::io_context io_;
  tcp::socket socket_;
  std::thread io_thread_;
  std::unique_ptr<protocol::LineFramer> framer_;
  std::array<char, 65536> buffer_{};

  std::mutex mutex_;
  bool closed_ = false;
  std::uint64_t next_id_ = 1;
  std::uint64_t counter_ = 0;
  std::deque<std::string> queue_;  // request bytes the socket did not take yet, in order
  std::map<std::uint64_t, std::shared_ptr<Promise>> pending_;
  std::function<void(const AgentEvent&)> event_callback_;
};

}  // namespace

Result<std::unique_ptr<AgentClient>> AgentClient::connect(const AgentEndpoint& endpoint, Nanos timeout) {
  if (endpoint.token.empty()) return invalid_input("agent endpoint has no token");
  auto client = std::make_unique<AsioAgentClient>(endpoint.token, timeout);
  if (auto opened = client->open(endpoint); !opened) return opened.error();
  return std::unique_ptr<AgentClient>(std::move(client));
}

}  // namespace faultline::agent
