#if defined(FAULTLINE_HAVE_LIBSSH2)
#include "controller/ssh/forwarder.h"

#include <cerrno>
#include <cstring>
#include <vector>

#include <arpa/inet.h>
#include <fcntl.h>
#include <libssh2.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fmt/format.h>

namespace faultline::controller::ssh {
namespace {

struct Link {
  int fd = -1;
  LIBSSH2_CHANNEL* channel = nullptr;
  std::string to_channel;  // bytes read from fd not yet written to the channel
  std::string to_fd;       // bytes read from the channel not yet written to fd
  bool fd_eof = false;     // local side closed its writing half
  bool eof_sent = false;
  bool dead = false;
};

}  // namespace

Result<std::unique_ptr<Forwarder>> Forwarder::start(std::unique_ptr<Session> session, std::string target_host,
                                                    std::uint16_t target_port) {
  std::unique_ptr<Forwarder> f(new Forwarder());
  f->session_ = std::move(session);
  f->target_host_ = std::move(target_host);
  f->target_port_ = target_port;
  f->listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (f->listen_fd_ < 0) return io_error(fmt::format("socket: {}", std::strerror(errno)));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (::bind(f->listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(f->listen_fd_, 16) != 0 ||
      ::getsockname(f->listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0)
    return io_error(fmt::format("cannot listen on 127.0.0.1 for forwarding: {}", std::strerror(errno)));
  f->local_port_ = ntohs(addr.sin_port);
  if (::pipe2(f->wake_, O_CLOEXEC | O_NONBLOCK) != 0) return io_error(fmt::format("pipe: {}", std::strerror(errno)));
  libssh2_session_set_blocking(f->session_->raw(), 0);
  f->thread_ = std::thread([p = f.get()] { p->run(); });
  return f;
}

Forwarder::~Forwarder() {
  stop();
  if (listen_fd_ >= 0) ::close(listen_fd_);
  for (int fd : wake_)
    if (fd >= 0) ::close(fd);
}

void Forwarder::stop() {
  if (stopping_.exchange(true)) {
    if (thread_.joinable()) thread_.join();
    return;
  }
  if (wake_[1] >= 0) (void)!::write(wake_[1], "x", 1);
  if (thread_.joinable()) thread_.join();
  // The session is closed blocking, from this thread, once the loop is gone.
  if (session_) {
    libssh2_session_set_blocking(session_->raw(), 1);
    libssh2_session_set_timeout(session_->raw(), 2000);
    session_.reset();
  }
}

void Forwarder::run() {
  LIBSSH2_SESSION* session = session_->raw();
  std::vector<Link> links;
  std::vector<int> pending;  // accepted fds waiting for their channel to open
  std::vector<LIBSSH2_CHANNEL*> closing;  // channels whose free() said EAGAIN
  char buffer[16384];
  while (!stopping_.load()) {
    // Wait for local readiness or SSH traffic; short timeout because libssh2
    // may hold decoded data that no socket event announces.
    std::vector<pollfd> fds;
    fds.push_back({wake_[0], POLLIN, 0});
    fds.push_back({listen_fd_, POLLIN, 0});
    short ssh_events = POLLIN;
    int dir = libssh2_session_block_directions(session);
    if (dir & LIBSSH2_SESSION_BLOCK_OUTBOUND) ssh_events |= POLLOUT;
    fds.push_back({session_->socket(), ssh_events, 0});
    for (auto& link : links)
      fds.push_back({link.fd, static_cast<short>((link.fd_eof ? 0 : POLLIN) | (link.to_fd.empty() ? 0 : POLLOUT)), 0});
    ::poll(fds.data(), fds.size(), 20);
    if (fds[0].revents & POLLIN) break;
    if (fds[1].revents & POLLIN) {
      for (;;) {
        int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
        if (fd < 0) break;
        int one = 1;
        ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        pending.push_back(fd);
      }
    }
    // Open channels for pending connections (non-blocking: EAGAIN retries next round).
    for (auto it = pending.begin(); it != pending.end();) {
      LIBSSH2_CHANNEL* channel = libssh2_channel_direct_tcpip_ex(session, target_host_.c_str(), target_port_, "127.0.0.1", 0);
      if (channel) {
        Link link;
        link.fd = *it;
        link.channel = channel;
        links.push_back(std::move(link));
        it = pending.erase(it);
      } else if (libssh2_session_last_errno(session) == LIBSSH2_ERROR_EAGAIN) {
        break;  // one channel open at a time
      } else {
        ::close(*it);
        it = pending.erase(it);
      }
    }
    for (auto& link : links) {
      if (link.dead) continue;
      // local -> channel
      if (!link.fd_eof && link.to_channel.size() < sizeof buffer) {
        auto n = ::read(link.fd, buffer, sizeof buffer);
        if (n > 0) link.to_channel.append(buffer, static_cast<std::size_t>(n));
        else if (n == 0 || (errno != EAGAIN && errno != EINTR)) link.fd_eof = true;
      }
      while (!link.to_channel.empty()) {
        auto n = libssh2_channel_write(link.channel, link.to_channel.data(), link.to_channel.size());
        if (n > 0) link.to_channel.erase(0, static_cast<std::size_t>(n));
        else if (n == LIBSSH2_ERROR_EAGAIN) break;
        else { link.dead = true; break; }
      }
      if (link.fd_eof && link.to_channel.empty() && !link.eof_sent) {
        if (libssh2_channel_send_eof(link.channel) != LIBSSH2_ERROR_EAGAIN) link.eof_sent = true;
      }
      // channel -> local
      for (int rounds = 0; rounds < 8 && link.to_fd.size() < (1u << 20); ++rounds) {
        auto n = libssh2_channel_read(link.channel, buffer, sizeof buffer);
        if (n > 0) link.to_fd.append(buffer, static_cast<std::size_t>(n));
        else if (n == LIBSSH2_ERROR_EAGAIN || n == 0) break;
        else { link.dead = true; break; }
      }
      while (!link.to_fd.empty()) {
        auto n = ::send(link.fd, link.to_fd.data(), link.to_fd.size(), MSG_NOSIGNAL);
        if (n > 0) link.to_fd.erase(0, static_cast<std::size_t>(n));
        else if (n < 0 && (errno == EAGAIN || errno == EINTR)) break;
        else { link.dead = true; break; }
      }
      if (link.to_fd.empty() && libssh2_channel_eof(link.channel)) link.dead = true;
      if (link.fd_eof && link.eof_sent && link.to_fd.empty() && libssh2_channel_eof(link.channel)) link.dead = true;
    }
    for (auto it = links.begin(); it != links.end();) {
      if (!it->dead) { ++it; continue; }
      ::close(it->fd);
      closing.push_back(it->channel);
      it = links.erase(it);
    }
    for (auto it = closing.begin(); it != closing.end();) {
      if (libssh2_channel_free(*it) == LIBSSH2_ERROR_EAGAIN) ++it;
      else it = closing.erase(it);
    }
  }
  for (int fd : pending) ::close(fd);
  libssh2_session_set_blocking(session, 1);
  libssh2_session_set_timeout(session, 1000);
  for (auto& link : links) {
    ::close(link.fd);
    libssh2_channel_free(link.channel);
  }
  for (auto* channel : closing) libssh2_channel_free(channel);
}

}  // namespace faultline::controller::ssh
#endif  // FAULTLINE_HAVE_LIBSSH2
