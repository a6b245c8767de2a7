#include "examples/demo-node/event_sink.h"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace faultline::demo {

EventSink::Mode EventSink::mode_from_env(std::string& path) {
  const char* env = std::getenv("FAULTLINE_EVENTS");
  if (env && *env) {
    path = env;
    return Mode::kSocket;
  }
  return Mode::kStderr;
}

EventSink::EventSink(std::string node, Mode mode, std::string path)
    : node_(std::move(node)), mode_(mode), path_(std::move(path)) {
  if (mode_ == Mode::kSocket) {
    fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd_ < 0 || path_.size() >= sizeof(sockaddr_un{}.sun_path)) {
      std::fprintf(stderr, "demo-node: cannot use event socket '%s'; events go to stderr\n", path_.c_str());
      mode_ = Mode::kStderr;
    } else {
      // Block (up to 1s) rather than drop when the agent's queue is full: a
      // lost breaker call or retry attempt would make a checker report a
      // divergence the node never made.
      timeval tv{1, 0};
      ::setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    }
  }
}

EventSink::~EventSink() {
  if (fd_ >= 0) ::close(fd_);
}

void EventSink::emit(nlohmann::json event) {
  if (mode_ == Mode::kNone) return;
  if (!event.contains("node")) event["node"] = node_;
  std::string text = event.dump();
  if (mode_ == Mode::kStderr) {
    std::lock_guard lock(stderr_mu_);
    std::fprintf(stderr, "%s\n", text.c_str());
    return;
  }
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, path_.c_str(), path_.size());
  ssize_t n;
  do {
    n = ::sendto(fd_, text.data(), text.size(), 0, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  } while (n < 0 && errno == EINTR);
  if (n < 0) dropped_.fetch_add(1);
}

}  // namespace faultline::demo
