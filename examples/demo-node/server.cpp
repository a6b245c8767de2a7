#include "examples/demo-node/server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <thread>

namespace faultline::demo {

Server::~Server() {
  if (fd_ >= 0) ::close(fd_);
}

Result<void> Server::bind() {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(listen_.port);
  if (::inet_pton(AF_INET, listen_.host.c_str(), &addr.sin_addr) != 1)
    return invalid_input("--listen host must be an IPv4 address: " + listen_.host);
  fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd_ < 0) return io_error(std::string("socket: ") + std::strerror(errno));
  int one = 1;
  ::setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(fd_, 128) != 0)
    return io_error("tcp listen " + listen_.str() + ": " + std::strerror(errno));
  return ok_result();
}

void Server::run() {
  while (!stop_) {
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, 100) <= 0) continue;
    int c = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (c < 0) continue;
    int one = 1;
    ::setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    std::thread([this, c] {
      Connection conn(c);
      for (;;) {
        auto line = conn.read_line(3'600'000'000'000);
        if (!line) return;
        auto request = nlohmann::json::parse(*line, nullptr, false);
        nlohmann::json reply = request.is_object() ? handler_(request)
                                                   : nlohmann::json{{"ok", false}, {"error", "request is not a JSON object"}};
        if (!conn.send_line(reply.dump(), 5'000'000'000)) return;
      }
    }).detach();
  }
}

}  // namespace faultline::demo
