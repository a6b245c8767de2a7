#include "agent/protocol/send_now.h"

#include <sys/socket.h>

#include <cerrno>

namespace faultline::agent::protocol {

std::variant<std::size_t, SendFailed> send_now(int fd, std::string_view data) {
  std::size_t sent = 0;
  while (sent < data.size()) {
    ssize_t n = ::send(fd, data.data() + sent, data.size() - sent, MSG_DONTWAIT | MSG_NOSIGNAL);
    if (n >= 0) sent += static_cast<std::size_t>(n);
    else if (errno == EAGAIN || errno == EWOULDBLOCK) break;
    else if (errno != EINTR) return SendFailed{errno};
  }
  return sent;
}

}  // namespace faultline::agent::protocol
