#include "tests/support/traffic.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fmt/format.h>
#include <vector>

#include "tests/support/netns.h"

namespace faultline::testing {
namespace {

long long now_ms() {
  timespec ts{};
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

sockaddr_in make_addr(const std::string& addr, std::uint16_t port) {
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(port);
  ::inet_pton(AF_INET, addr.c_str(), &sa.sin_addr);
  return sa;
}

std::uint16_t bound_port(int fd) {
  sockaddr_in sa{};
  socklen_t len = sizeof sa;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&sa), &len);
  return ntohs(sa.sin_port);
}

}  // namespace

Fd::~Fd() {
  if (fd_ >= 0) ::close(fd_);
}

Fd& Fd::operator=(Fd&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = other.release();
  }
  return *this;
}

Result<Fd> socket_in(const std::string& ns, int type) {
  ScopedNetns scope(ns);
  if (!scope.ok()) return io_error(scope.error());
  int fd = ::socket(AF_INET, type | SOCK_CLOEXEC, 0);
  if (fd < 0) return io_error(fmt::format("socket in {}: {}", ns, std::strerror(errno)));
  return Fd(fd);
}

Result<UdpReceiver> UdpReceiver::open(const std::string& ns, const std::string& addr, std::uint16_t port) {
  auto fd = socket_in(ns, SOCK_DGRAM);
  if (!fd) return fd.error();
  int size = 4 << 20;
  ::setsockopt(fd->get(), SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
  auto sa = make_addr(addr, port);
  if (::bind(fd->get(), reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0)
    return io_error(fmt::format("bind {}:{} in {}: {}", addr, port, ns, std::strerror(errno)));
  UdpReceiver r;
  r.port = bound_port(fd->get());
  r.fd = std::move(*fd);
  return r;
}

int UdpReceiver::drain(int quiet_ms, int total_ms) {
  int received = 0;
  long long deadline = now_ms() + total_ms;
  char buffer[65536];
  while (now_ms() < deadline) {
    pollfd p{fd.get(), POLLIN, 0};
    int rc = ::poll(&p, 1, quiet_ms);
    if (rc <= 0) break;
    while (::recv(fd.get(), buffer, sizeof buffer, MSG_DONTWAIT) >= 0) ++received;
  }
  return received;
}

int udp_send(const std::string& from_ns, const std::string& addr, std::uint16_t port, int count, int size,
             int gap_us) {
  auto fd = socket_in(from_ns, SOCK_DGRAM);
  if (!fd) return 0;
  auto sa = make_addr(addr, port);
  std::vector<char> payload(static_cast<std::size_t>(size), 'x');
  int sent = 0;
  for (int i = 0; i < count; ++i) {
    std::memcpy(payload.data(), &i, std::min<std::size_t>(sizeof i, payload.size()));
    if (::sendto(fd->get(), payload.data(), payload.size(), 0, reinterpret_cast<sockaddr*>(&sa), sizeof sa) >= 0)
      ++sent;
    if (gap_us > 0) ::usleep(static_cast<useconds_t>(gap_us));
  }
  return sent;
}

int udp_delivered(const std::string& from_ns, const std::string& to_ns, const std::string& to_addr, int count) {
  auto receiver = UdpReceiver::open(to_ns, to_addr);
  if (!receiver) return -1;
  udp_send(from_ns, to_addr, receiver->port, count, 64, 200);
  return receiver->drain(200, 3000);
}

Result<TcpPair> TcpPair::connect(const std::string& from_ns, const std::string& to_ns, const std::string& to_addr,
                                 int timeout_ms, std::uint16_t port) {
  auto listener = socket_in(to_ns, SOCK_STREAM);
  if (!listener) return listener.error();
  int one = 1;
  ::setsockopt(listener->get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  auto sa = make_addr(to_addr, port);
  if (::bind(listener->get(), reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0 || ::listen(listener->get(), 4) != 0)
    return io_error(fmt::format("listen on {} in {}: {}", to_addr, to_ns, std::strerror(errno)));
  sa.sin_port = htons(bound_port(listener->get()));
  auto client = socket_in(from_ns, SOCK_STREAM);
  if (!client) return client.error();
  ::fcntl(client->get(), F_SETFL, O_NONBLOCK);
  int rc = ::connect(client->get(), reinterpret_cast<sockaddr*>(&sa), sizeof sa);
  if (rc != 0 && errno != EINPROGRESS) return io_error(fmt::format("connect {}: {}", to_addr, std::strerror(errno)));
  pollfd p{client->get(), POLLOUT, 0};
  if (::poll(&p, 1, timeout_ms) <= 0) return Error{ErrorCode::kTimeout, fmt::format("connect to {} timed out", to_addr)};
  int err = 0;
  socklen_t len = sizeof err;
  ::getsockopt(client->get(), SOL_SOCKET, SO_ERROR, &err, &len);
  if (err != 0) return io_error(fmt::format("connect {}: {}", to_addr, std::strerror(err)));
  pollfd lp{listener->get(), POLLIN, 0};
  if (::poll(&lp, 1, timeout_ms) <= 0) return Error{ErrorCode::kTimeout, "accept timed out"};
  int server = ::accept4(listener->get(), nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
  if (server < 0) return io_error(fmt::format("accept: {}", std::strerror(errno)));
  TcpPair pair;
  pair.client = std::move(*client);
  pair.server = Fd(server);
  return pair;
}

bool TcpPair::roundtrip(int timeout_ms) {
  char byte = 'x';
  if (::send(client.get(), &byte, 1, MSG_NOSIGNAL) != 1) return false;
  pollfd p{server.get(), POLLIN, 0};
  if (::poll(&p, 1, timeout_ms) <= 0) return false;
  return ::recv(server.get(), &byte, 1, 0) == 1;
}

bool tcp_connects(const std::string& from_ns, const std::string& to_ns, const std::string& to_addr, int timeout_ms,
                  std::uint16_t port) {
  return TcpPair::connect(from_ns, to_ns, to_addr, timeout_ms, port).ok();
}

}  // namespace faultline::testing
