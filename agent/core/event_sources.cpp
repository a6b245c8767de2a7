#include "agent/core/event_sources.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <algorithm>
#include <cstring>
#include <ctime>
#include <fstream>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

namespace faultline::agent {

namespace {
void publish_text(EventHub& hub, std::string_view text, Nanos mono = monotonic_now()) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.remove_suffix(1);
  if (text.empty()) return;
  auto event = nlohmann::json::parse(text, nullptr, false);
  if (event.is_discarded() || !event.is_object()) {
    hub.count_rejected();
    return;
  }
  hub.publish(mono, std::move(event));
}
}  // namespace

Result<void> EventSocket::open(const std::filesystem::path& path) {
  path_ = path;
  if (path.string().size() >= sizeof(sockaddr_un{}.sun_path))
    return invalid_input(fmt::format("event socket path {} is {} bytes, over the {} a unix socket allows; use a shorter --state-dir",
                                     path.string(), path.string().size(), sizeof(sockaddr_un{}.sun_path) - 1));
  std::error_code fs_ec;
  std::filesystem::remove(path, fs_ec);
  boost::system::error_code ec;
  socket_.open(boost::asio::local::datagram_protocol(), ec);
  if (!ec) socket_.bind(boost::asio::local::datagram_protocol::endpoint(path.string()), ec);
  if (ec) return io_error(fmt::format("event socket {}: {}", path.string(), ec.message()));
  ::chmod(path.c_str(), 0666);
  boost::asio::socket_base::receive_buffer_size size(1 << 20);
  socket_.set_option(size, ec);
  // The kernel stamps each datagram when the SUT sends it (CLOCK_REALTIME),
  // so a busy agent reading it late still records when it happened.
  int on = 1;
  kernel_stamps_ = ::setsockopt(socket_.native_handle(), SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof on) == 0;
  socket_.non_blocking(true, ec);
  receive();
  return ok_result();
}

void EventSocket::close() {
  boost::system::error_code ignored;
  socket_.close(ignored);
  std::error_code fs_ec;
  if (!path_.empty()) std::filesystem::remove(path_, fs_ec);
}

namespace {
// The agent's CLOCK_MONOTONIC when a datagram stamped `sent_real` was sent.
Nanos sent_at_mono(const timespec& sent_real, Nanos mono_now) {
  timespec real_now{};
  ::clock_gettime(CLOCK_REALTIME, &real_now);
  const Nanos waited = (static_cast<Nanos>(real_now.tv_sec) - sent_real.tv_sec) * 1'000'000'000 +
                       (static_cast<Nanos>(real_now.tv_nsec) - sent_real.tv_nsec);
  // A stamp from the future or older than 10 s means the real clock was
  // stepped in between: the arrival time is the better estimate then.
  if (waited < 0 || waited > 10'000'000'000) return mono_now;
  return mono_now - waited;
}
}  // namespace

void EventSocket::receive() {
  socket_.async_wait(boost::asio::socket_base::wait_read, [this](boost::system::error_code ec) {
    if (ec == boost::asio::error::operation_aborted || !socket_.is_open()) return;
    // Drain what is queued; each datagram with the kernel's send stamp.
    for (int i = 0; i < 256; ++i) {
      iovec iov{buffer_.data(), buffer_.size()};
      alignas(cmsghdr) char control[CMSG_SPACE(sizeof(timespec))];
      msghdr msg{};
      msg.msg_iov = &iov;
      msg.msg_iovlen = 1;
      msg.msg_control = control;
      msg.msg_controllen = sizeof control;
      const ssize_t n = ::recvmsg(socket_.native_handle(), &msg, MSG_DONTWAIT);
      if (n < 0) break;  // EAGAIN: drained (or an error: wait again)
      Nanos mono = monotonic_now();
      if (kernel_stamps_)
        for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c))
          if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS) {
            timespec sent{};
            std::memcpy(&sent, CMSG_DATA(c), sizeof sent);
            mono = sent_at_mono(sent, mono);
          }
      mono = std::max(mono, last_stamp_);  // datagrams arrive in send order
      last_stamp_ = mono;
      publish_text(hub_, std::string_view(buffer_.data(), static_cast<std::size_t>(n)), mono);
    }
    receive();
  });
}

void FileTail::start() {
  if (!thread_.joinable()) thread_ = std::thread([this] { run(); });
}

void FileTail::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void FileTail::run() {
  std::uintmax_t offset = 0;
  ino_t inode = 0;
  bool first = true;
  std::string partial;
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    lock.unlock();
    struct stat st {};
    if (::stat(path_.c_str(), &st) == 0) {
      if (first) {
        offset = static_cast<std::uintmax_t>(st.st_size);  // -n0: skip what is already there
        inode = st.st_ino;
      } else if (st.st_ino != inode || static_cast<std::uintmax_t>(st.st_size) < offset) {
        offset = 0;  // replaced or truncated: follow from the start
        inode = st.st_ino;
        partial.clear();
      }
      if (static_cast<std::uintmax_t>(st.st_size) > offset) {
        std::ifstream in(path_, std::ios::binary);
        in.seekg(static_cast<std::streamoff>(offset));
        std::string chunk(static_cast<std::size_t>(st.st_size) - offset, '\0');
        in.read(chunk.data(), static_cast<std::streamsize>(chunk.size()));
        chunk.resize(static_cast<std::size_t>(in.gcount()));
        offset += chunk.size();
        partial += chunk;
        std::size_t start = 0;
        for (auto nl = partial.find('\n'); nl != std::string::npos; nl = partial.find('\n', start)) {
          publish_text(hub_, std::string_view(partial).substr(start, nl - start));
          start = nl + 1;
        }
        partial.erase(0, start);
        if (partial.size() > (1u << 20)) partial.clear();  // a runaway line without newline
      }
    } else if (first) {
      inode = 0;  // not there yet: everything written once it appears counts
    }
    first = false;
    lock.lock();
    cv_.wait_for(lock, std::chrono::milliseconds(100), [this] { return stopping_; });
  }
}

}  // namespace faultline::agent
