#include "controller/cluster/docker_api.h"

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <fmt/format.h>

namespace faultline::controller {
namespace {

struct Fd {
  int fd = -1;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

}  // namespace

std::string docker_socket_path() {
  if (const char* host = std::getenv("DOCKER_HOST"); host && std::strncmp(host, "unix://", 7) == 0) return host + 7;
  return "/var/run/docker.sock";
}

std::string url_encode(const std::string& text) {
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~')
      out += static_cast<char>(c);
    else
      out += fmt::format("%{:02X}", c);
  }
  return out;
}

Result<nlohmann::json> docker_get(const std::string& path) {
  const auto socket_path = docker_socket_path();
  Fd s{::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)};
  if (s.fd < 0) return unavailable(fmt::format("docker engine: socket: {}", std::strerror(errno)));
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (socket_path.size() >= sizeof(addr.sun_path)) return unavailable("docker engine: socket path too long");
  std::memcpy(addr.sun_path, socket_path.c_str(), socket_path.size() + 1);
  if (::connect(s.fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0)
    return unavailable(fmt::format("docker engine: cannot connect to {}: {} (is the engine running, and is its "
                                   "socket mounted into this container?)",
                                   socket_path, std::strerror(errno)));
  const auto request = fmt::format("GET /v1.41{} HTTP/1.0\r\nHost: docker\r\n\r\n", path);
  for (std::size_t sent = 0; sent < request.size();) {
    auto n = ::send(s.fd, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return unavailable(fmt::format("docker engine: send: {}", std::strerror(errno)));
    sent += static_cast<std::size_t>(n);
  }
  std::string reply;
  char buf[16384];
  for (;;) {
    auto n = ::recv(s.fd, buf, sizeof(buf), 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return unavailable(fmt::format("docker engine: recv: {}", std::strerror(errno)));
    if (n == 0) break;
    reply.append(buf, static_cast<std::size_t>(n));
  }
  auto head_end = reply.find("\r\n\r\n");
  if (head_end == std::string::npos || reply.compare(0, 5, "HTTP/") != 0)
    return unavailable(fmt::format("docker engine: GET {}: malformed reply", path));
  auto sp = reply.find(' ');
  const int status = std::atoi(reply.c_str() + sp + 1);
  const auto body = reply.substr(head_end + 4);
  auto json = nlohmann::json::parse(body, nullptr, false);
  if (status != 200) {
    std::string message = json.is_object() ? json.value("message", body) : body;
    return unavailable(fmt::format("docker engine: GET {}: {} {}", path, status, message));
  }
  if (json.is_discarded()) return unavailable(fmt::format("docker engine: GET {}: reply is not JSON", path));
  return json;
}

}  // namespace faultline::controller
