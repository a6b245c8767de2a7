#include "tests/faults/net/shaper/udp_probe.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cstring>
#include <map>
#include <set>

#include <fmt/format.h>

namespace faultline::testing::shaper_probe {
namespace {

long long now_ns() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1'000'000'000LL + ts.tv_nsec;
}

sockaddr_in make_addr(const std::string& addr, std::uint16_t port) {
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(port);
  inet_pton(AF_INET, addr.c_str(), &sa.sin_addr);
  return sa;
}

Result<std::pair<Fd, std::uint16_t>> bound_socket(const std::string& ns, const std::string& addr) {
  auto fd = socket_in(ns, SOCK_DGRAM);
  if (!fd) return fd.error();
  int size = 8 << 20;
  setsockopt(fd->get(), SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof size);
  auto sa = make_addr(addr, 0);
  if (bind(fd->get(), reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0)
    return io_error(fmt::format("bind {} in {}: {}", addr, ns, std::strerror(errno)));
  socklen_t len = sizeof sa;
  getsockname(fd->get(), reinterpret_cast<sockaddr*>(&sa), &len);
  return std::make_pair(std::move(*fd), ntohs(sa.sin_port));
}

std::uint32_t fnv1a(const std::uint8_t* p, std::size_t n) {
  std::uint32_t h = 2166136261u;
  for (std::size_t i = 0; i < n; ++i) h = (h ^ p[i]) * 16777619u;
  return h;
}

std::vector<std::uint8_t> make_probe(std::uint32_t seq, int size) {
  std::vector<std::uint8_t> p(static_cast<std::size_t>(std::max(size, 16)));
  for (std::size_t i = 8; i < p.size(); ++i) p[i] = static_cast<std::uint8_t>(seq * 31 + i);
  long long t = now_ns();
  std::memcpy(&p[0], &seq, 4);
  std::memcpy(&p[8], &t, 8);
  std::uint32_t h = fnv1a(p.data() + 8, p.size() - 8) ^ seq;
  std::memcpy(&p[4], &h, 4);
  return p;
}

// Waits for POLLIN up to ms; false on timeout.
bool readable(int fd, int ms) {
  pollfd pfd{fd, POLLIN, 0};
  return poll(&pfd, 1, ms) > 0;
}

}  // namespace

Result<std::unique_ptr<UdpEcho>> UdpEcho::start(const std::string& ns, const std::string& addr) {
  auto sock = bound_socket(ns, addr);
  if (!sock) return sock.error();
  std::unique_ptr<UdpEcho> echo(new UdpEcho);
  echo->fd_ = std::move(sock->first);
  echo->port_ = sock->second;
  echo->thread_ = std::thread([e = echo.get()] {
    std::uint8_t buffer[65536];
    while (!e->stop_) {
      if (!readable(e->fd_.get(), 50)) continue;
      sockaddr_storage from{};
      socklen_t len = sizeof from;
      ssize_t n = recvfrom(e->fd_.get(), buffer, sizeof buffer, MSG_DONTWAIT, reinterpret_cast<sockaddr*>(&from), &len);
      if (n > 0) sendto(e->fd_.get(), buffer, static_cast<std::size_t>(n), 0, reinterpret_cast<sockaddr*>(&from), len);
    }
  });
  return echo;
}

UdpEcho::~UdpEcho() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
}

Result<std::unique_ptr<SequenceSink>> SequenceSink::start(const std::string& ns, const std::string& addr) {
  auto sock = bound_socket(ns, addr);
  if (!sock) return sock.error();
  std::unique_ptr<SequenceSink> sink(new SequenceSink);
  sink->fd_ = std::move(sock->first);
  sink->port_ = sock->second;
  sink->thread_ = std::thread([s = sink.get()] {
    std::uint8_t buffer[65536];
    while (!s->stop_) {
      if (!readable(s->fd_.get(), 20)) continue;
      ssize_t n;
      while ((n = recv(s->fd_.get(), buffer, sizeof buffer, MSG_DONTWAIT)) >= 16) {
        std::uint32_t seq, h;
        std::memcpy(&seq, buffer, 4);
        std::memcpy(&h, buffer + 4, 4);
        bool intact = (fnv1a(buffer + 8, static_cast<std::size_t>(n) - 8) ^ seq) == h;
        long long sent, now = now_ns();
        std::memcpy(&sent, buffer + 8, 8);
        std::lock_guard lock(s->mutex_);
        s->arrivals_.push_back({seq, intact, now - sent});
        s->last_arrival_ns_ = now;
      }
    }
  });
  return sink;
}

SequenceSink::~SequenceSink() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
}

void SequenceSink::clear() {
  std::lock_guard lock(mutex_);
  arrivals_.clear();
}

std::vector<Arrival> SequenceSink::collect(int quiet_ms) {
  long long start = now_ns();
  while (true) {
    usleep(20'000);
    long long last = std::max(last_arrival_ns_.load(), start);
    if (now_ns() - last > quiet_ms * 1'000'000LL) break;
  }
  std::lock_guard lock(mutex_);
  return arrivals_;
}

SequenceStats analyze(const std::vector<Arrival>& arrivals) {
  SequenceStats stats;
  std::set<std::uint32_t> seen;
  bool any = false;
  std::uint32_t highest = 0;
  for (const auto& a : arrivals) {
    ++stats.received;
    if (!a.intact) {
      ++stats.corrupted;
      continue;
    }
    if (!seen.insert(a.seq).second) {
      ++stats.duplicates;
      continue;
    }
    if (any && a.seq < highest) ++stats.overtaken;
    if (!any || a.seq > highest) highest = a.seq;
    any = true;
  }
  stats.unique = static_cast<int>(seen.size());
  return stats;
}

int send_sequence(const std::string& addr, std::uint16_t port, int count, int size, int gap_us, bool udp_checksum) {
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return 0;
  if (!udp_checksum) {
    int one = 1;
    if (setsockopt(fd, SOL_SOCKET, SO_NO_CHECK, &one, sizeof one) != 0) {
      close(fd);
      return 0;
    }
  }
  // Packets held by a delay still count against the sender's buffer (as
  // under netem); a large one keeps the sender from being the bottleneck.
  int buffer = 32 << 20;
  setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &buffer, sizeof buffer);
  auto sa = make_addr(addr, port);
  int sent = 0;
  long long next = now_ns();
  for (int i = 0; i < count; ++i) {
    auto p = make_probe(static_cast<std::uint32_t>(i), size);
    if (sendto(fd, p.data(), p.size(), 0, reinterpret_cast<sockaddr*>(&sa), sizeof sa) > 0) ++sent;
    if (gap_us > 0) {
      next += gap_us * 1000LL;
      while (now_ns() < next) {
        long long left = next - now_ns();
        if (left > 200'000) usleep(static_cast<useconds_t>((left - 100'000) / 1000));
      }
    }
  }
  close(fd);
  return sent;
}

std::vector<double> ping_rtts_ms(const std::string& addr, std::uint16_t port, int count, int gap_us, int wait_ms) {
  std::vector<double> rtts;
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return rtts;
  auto sa = make_addr(addr, port);
  connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa);
  auto receive_ready = [&] {
    std::uint8_t buffer[2048];
    ssize_t n;
    while ((n = recv(fd, buffer, sizeof buffer, MSG_DONTWAIT)) >= 16) {
      long long sent;
      std::memcpy(&sent, buffer + 8, 8);
      rtts.push_back(static_cast<double>(now_ns() - sent) / 1e6);
    }
  };
  long long next = now_ns();
  for (int i = 0; i < count; ++i) {
    auto p = make_probe(static_cast<std::uint32_t>(i), 64);
    send(fd, p.data(), p.size(), 0);
    next += gap_us * 1000LL;
    while (now_ns() < next) {
      int left_ms = static_cast<int>((next - now_ns()) / 1'000'000);
      pollfd pfd{fd, POLLIN, 0};
      if (poll(&pfd, 1, std::max(left_ms, 0)) > 0) receive_ready();
    }
  }
  long long deadline = now_ns() + wait_ms * 1'000'000LL;
  while (static_cast<int>(rtts.size()) < count && now_ns() < deadline) {
    pollfd pfd{fd, POLLIN, 0};
    if (poll(&pfd, 1, 20) > 0) receive_ready();
  }
  close(fd);
  return rtts;
}

}  // namespace faultline::testing::shaper_probe
