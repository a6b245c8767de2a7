#include "examples/demo-node/wire.h"

#include "common/host_port.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace faultline::demo {
namespace {

int wait_fd(int fd, short events, Nanos timeout) {
  Nanos deadline = monotonic_now() + timeout;
  for (;;) {
    Nanos left = deadline - monotonic_now();
    if (left <= 0) return 0;
    pollfd p{fd, events, 0};
    int r = ::poll(&p, 1, static_cast<int>((left + 999'999) / 1'000'000));
    if (r < 0 && errno == EINTR) continue;
    return r;
  }
}

}  // namespace

Result<Endpoint> parse_endpoint(const std::string& text) {
  auto parsed = parse_host_port(text);
  if (!parsed) return parsed.error().with_context("endpoint");
  return Endpoint{parsed->host, parsed->port};
}

Result<Connection> Connection::connect(const Endpoint& to, Nanos timeout) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(to.port);
  if (::inet_pton(AF_INET, to.host.c_str(), &addr.sin_addr) != 1) {
    addrinfo hints{}, *res = nullptr;
    hints.ai_family = AF_INET;
    if (::getaddrinfo(to.host.c_str(), nullptr, &hints, &res) != 0 || !res)
      return invalid_input("cannot resolve " + to.host);
    addr.sin_addr = reinterpret_cast<sockaddr_in*>(res->ai_addr)->sin_addr;
    ::freeaddrinfo(res);
  }
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return io_error(std::string("socket: ") + std::strerror(errno));
  Connection c(fd);
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    if (errno != EINPROGRESS) return unavailable("connect " + to.str() + ": " + std::strerror(errno));
    if (wait_fd(fd, POLLOUT, timeout) <= 0) return unavailable("connect " + to.str() + ": timed out");
    int err = 0;
    socklen_t len = sizeof err;
    ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
    if (err != 0) return unavailable("connect " + to.str() + ": " + std::strerror(err));
  }
  return c;
}

Connection& Connection::operator=(Connection&& o) noexcept {
  if (this != &o) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = o.fd_;
    buffer_ = std::move(o.buffer_);
    o.fd_ = -1;
  }
  return *this;
}

Connection::~Connection() {
  if (fd_ >= 0) ::close(fd_);
}

Result<void> Connection::send_line(const std::string& line, Nanos timeout) {
  std::string data = line + "\n";
  std::size_t off = 0;
  Nanos deadline = monotonic_now() + timeout;
  while (off < data.size()) {
    ssize_t n = ::send(fd_, data.data() + off, data.size() - off, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n > 0) {
      off += static_cast<std::size_t>(n);
      continue;
    }
    if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
      return unavailable(std::string("send: ") + std::strerror(errno));
    if (wait_fd(fd_, POLLOUT, deadline - monotonic_now()) <= 0) return unavailable("send: timed out");
  }
  return ok_result();
}

Result<std::string> Connection::read_line(Nanos timeout) {
  Nanos deadline = monotonic_now() + timeout;
  for (;;) {
    auto nl = buffer_.find('\n');
    if (nl != std::string::npos) {
      std::string line = buffer_.substr(0, nl);
      buffer_.erase(0, nl + 1);
      return line;
    }
    char chunk[4096];
    ssize_t n = ::recv(fd_, chunk, sizeof chunk, MSG_DONTWAIT);
    if (n > 0) {
      buffer_.append(chunk, static_cast<std::size_t>(n));
      if (buffer_.size() > (1u << 20)) return invalid_input("line longer than 1 MiB");
      continue;
    }
    if (n == 0) return unavailable("connection closed");
    if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
      return unavailable(std::string("recv: ") + std::strerror(errno));
    if (wait_fd(fd_, POLLIN, deadline - monotonic_now()) <= 0) return unavailable("recv: timed out");
  }
}

Result<nlohmann::json> Connection::call(const nlohmann::json& request, Nanos timeout) {
  Nanos deadline = monotonic_now() + timeout;
  if (auto r = send_line(request.dump(), timeout); !r) return r.error();
  auto line = read_line(deadline - monotonic_now());
  if (!line) return line.error();
  auto reply = nlohmann::json::parse(*line, nullptr, false);
  if (reply.is_discarded() || !reply.is_object()) return invalid_input("reply is not a JSON object: " + *line);
  return reply;
}

}  // namespace faultline::demo
