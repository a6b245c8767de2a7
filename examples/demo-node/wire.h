// Wire helpers of the demo node: blocking TCP with deadlines, one JSON
// object per line.
//
// Contract: every call takes a timeout and never blocks longer than it
// (connect, send and receive poll() on a steady clock). Errors are values:
// kUnavailable for refused/unreachable/timeouts, kInvalidInput for a reply
// that is not JSON. Endpoint parsing accepts "host:port" (IPv4 or name).
#pragma once

#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "common/result.h"
#include "common/units.h"

namespace faultline::demo {

struct Endpoint {
  std::string host;
  std::uint16_t port = 0;
  std::string str() const { return host + ":" + std::to_string(port); }
};
Result<Endpoint> parse_endpoint(const std::string& text);

// A connected TCP socket (closed on destruction).
class Connection {
 public:
  static Result<Connection> connect(const Endpoint& to, Nanos timeout);
  explicit Connection(int fd = -1) : fd_(fd) {}
  Connection(Connection&& o) noexcept : fd_(o.fd_), buffer_(std::move(o.buffer_)) { o.fd_ = -1; }
  Connection& operator=(Connection&& o) noexcept;
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;
  ~Connection();

  Result<void> send_line(const std::string& line, Nanos timeout);
  // One line without its newline; kUnavailable on timeout or close.
  Result<std::string> read_line(Nanos timeout);
  // send_line(request.dump()) then read_line() parsed as JSON.
  Result<nlohmann::json> call(const nlohmann::json& request, Nanos timeout);
  int fd() const { return fd_; }

 private:
  int fd_;
  std::string buffer_;
};

}  // namespace faultline::demo
