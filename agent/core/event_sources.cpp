#include "agent/core/event_sources.h"

#include <sys/stat.h>
#include <sys/un.h>

#include <fstream>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

namespace faultline::agent {

namespace {
void publish_text(EventHub& hub, std::string_view text) {
  const Nanos mono = monotonic_now();
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
  receive();
  return ok_result();
}

void EventSocket::close() {
  boost::system::error_code ignored;
  socket_.close(ignored);
  std::error_code fs_ec;
  if (!path_.empty()) std::filesystem::remove(path_, fs_ec);
}

void EventSocket::receive() {
  socket_.async_receive(boost::asio::buffer(buffer_), [this](boost::system::error_code ec, std::size_t n) {
    if (ec == boost::asio::error::operation_aborted || !socket_.is_open()) return;
    if (!ec) publish_text(hub_, std::string_view(buffer_.data(), n));
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
