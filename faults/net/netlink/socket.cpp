#include "faults/net/netlink/socket.h"

#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fmt/format.h>
#include <utility>

namespace faultline::faults::net::netlink {
namespace {

constexpr std::size_t kBufferWords = 8 * 1024;  // 64 KiB

Error kernel_error(int err, const char* what) {
  return Error{ErrorCode::kIo, fmt::format("netlink {}: {}", what, std::strerror(err)), err};
}

}  // namespace

Result<Socket> Socket::open() {
  int fd = ::socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_NETFILTER);
  if (fd < 0) {
    int err = errno;
    return Error{ErrorCode::kUnavailable, fmt::format("netfilter netlink socket: {}", std::strerror(err)), err};
  }
  timeval timeout{2, 0};  // never hang the agent on a kernel that does not answer
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  int one = 1;  // errors without the whole request echoed back
  ::setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof one);
  sockaddr_nl local{};
  local.nl_family = AF_NETLINK;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&local), sizeof local) != 0) {
    int err = errno;
    ::close(fd);
    return Error{ErrorCode::kUnavailable, fmt::format("netfilter netlink bind: {}", std::strerror(err)), err};
  }
  return Socket(fd);
}

Socket::Socket(int fd) : fd_(fd), buffer_(kBufferWords) {}

Socket::Socket(Socket&& other) noexcept : fd_(std::exchange(other.fd_, -1)), buffer_(std::move(other.buffer_)) {}

Socket& Socket::operator=(Socket&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = std::exchange(other.fd_, -1);
    buffer_ = std::move(other.buffer_);
  }
  return *this;
}

Socket::~Socket() {
  if (fd_ >= 0) ::close(fd_);
}

void Socket::drain() {
  auto* data = reinterpret_cast<std::uint8_t*>(buffer_.data());
  while (::recv(fd_, data, buffer_.size() * sizeof(std::uint64_t), MSG_DONTWAIT) > 0) {
  }
}

Result<void> Socket::exchange(const Messages& request, const std::function<void(const nlmsghdr*)>& on_reply) {
  if (fd_ < 0) return kernel_error(EBADF, "send");
  if (request.count() == 0) return ok_result();
  drain();
  const auto& bytes = request.bytes();
  sockaddr_nl kernel{};
  kernel.nl_family = AF_NETLINK;
  if (::sendto(fd_, bytes.data(), bytes.size(), 0, reinterpret_cast<sockaddr*>(&kernel), sizeof kernel) !=
      static_cast<ssize_t>(bytes.size()))
    return kernel_error(errno, "send");
  // The sequence numbers of this request's messages (an nf_tables batch's
  // BEGIN/END are numbered after the messages they wrap).
  std::vector<std::uint32_t> ours;
  {
    int left = static_cast<int>(bytes.size());
    for (auto* h = reinterpret_cast<const nlmsghdr*>(bytes.data()); NLMSG_OK(h, left); h = NLMSG_NEXT(h, left))
      ours.push_back(h->nlmsg_seq);
  }
  auto* data = reinterpret_cast<std::uint8_t*>(buffer_.data());
  const std::size_t size = buffer_.size() * sizeof(std::uint64_t);
  for (;;) {
    ssize_t got = ::recv(fd_, data, size, 0);
    if (got < 0) {
      if (errno == EINTR) continue;
      return kernel_error(errno, "receive");
    }
    int n = static_cast<int>(got);
    for (auto* h = reinterpret_cast<nlmsghdr*>(data); NLMSG_OK(h, n); h = NLMSG_NEXT(h, n)) {
      if (std::find(ours.begin(), ours.end(), h->nlmsg_seq) == ours.end()) continue;  // a stale answer
      if (h->nlmsg_type == NLMSG_DONE) return ok_result();
      if (h->nlmsg_type == NLMSG_ERROR) {
        int error = static_cast<const nlmsgerr*>(NLMSG_DATA(h))->error;
        if (error == 0) return ok_result();
        return kernel_error(-error, "request");
      }
      if (on_reply) on_reply(h);
    }
  }
}

}  // namespace faultline::faults::net::netlink
