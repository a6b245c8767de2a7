// send_now: the non-blocking first attempt of a line write, shared by the
// agent's server connections and the controller's client.
//
// Contract: sends as much of `data` on the stream socket `fd` as the socket
// takes now (MSG_DONTWAIT | MSG_NOSIGNAL, retried on EINTR), never blocking
// and never raising SIGPIPE. Returns the number of bytes sent (less than
// data.size() when the socket's buffer is full: the caller queues the rest),
// or the errno of a send that failed for another reason.
#pragma once

#include <cstddef>
#include <string_view>
#include <variant>

namespace faultline::agent::protocol {

struct SendFailed {
  int error_number = 0;
};

std::variant<std::size_t, SendFailed> send_now(int fd, std::string_view data);

}  // namespace faultline::agent::protocol
