#include "examples/demo-node/membership.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "checkers/reference/swim_message.h"
#include "examples/demo-node/swim_sync.h"

namespace faultline::demo {
namespace {

bool to_sockaddr(const Endpoint& e, sockaddr_in& addr) {
  addr = {};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(e.port);
  return ::inet_pton(AF_INET, e.host.c_str(), &addr.sin_addr) == 1;
}

}  // namespace

Membership::Membership(MembershipConfig config, EventSink& events) : config_(std::move(config)), events_(events) {}

Membership::~Membership() { stop(); }

Result<void> Membership::start() {
  sockaddr_in addr;
  if (!to_sockaddr(config_.listen, addr)) return invalid_input("--listen host must be an IPv4 address: " + config_.listen.host);
  for (const auto& [name, ep] : config_.peers) {
    sockaddr_in a;
    if (!to_sockaddr(ep, a)) return invalid_input("peer " + name + " address must be IPv4: " + ep.host);
  }
  fd_ = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd_ < 0) return io_error(std::string("udp socket: ") + std::strerror(errno));
  int one = 1;
  ::setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0)
    return io_error("udp bind " + config_.listen.str() + ": " + std::strerror(errno));
  Nanos now = monotonic_now();
  if (config_.kind == MembershipConfig::Kind::kSwim) {
    if (auto v = config_.swim.validate(); !v) return v.error();
    swim_ = std::make_unique<reference::SwimNode>(config_.self, config_.swim, config_.seed, now);
    for (const auto& [name, ep] : config_.peers) {
      swim_->add_member(name);
      peer_names_.push_back(name);
    }
    swim_->set_listener([this](const reference::StatusChange& c) { report(c); });
    loop_ = std::thread([this] { swim_loop(); });
  } else {
    detector_ = std::make_unique<reference::HeartbeatDetector>(config_.self, config_.heartbeat);
    for (const auto& [name, ep] : config_.peers) {
      detector_->add(name, now);
      published_[name] = reference::Status::kAlive;
    }
    loop_ = std::thread([this] { heartbeat_loop(); });
    sweeper_ = std::thread([this] { sweep_loop(); });
  }
  return ok_result();
}

void Membership::stop() {
  stop_ = true;
  if (loop_.joinable()) loop_.join();
  if (sweeper_.joinable()) sweeper_.join();
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

std::optional<reference::Status> Membership::status(const std::string& peer) {
  std::lock_guard lock(mu_);
  if (swim_) {
    auto m = swim_->member(peer);
    if (!m) return std::nullopt;
    return m->status;
  }
  if (detector_) {
    auto it = published_.find(peer);
    if (it == published_.end()) return std::nullopt;
    return it->second;
  }
  return std::nullopt;
}

void Membership::report(const reference::StatusChange& change) {
  events_.emit({{"type", "detector"},
                {"node", change.observer},
                {"subject", change.subject},
                {"status", reference::to_string(change.status)},
                {"incarnation", change.incarnation}});
}

void Membership::send_to(const std::string& peer, const std::string& datagram) {
  auto it = config_.peers.find(peer);
  if (it == config_.peers.end()) return;
  sockaddr_in addr;
  if (!to_sockaddr(it->second, addr)) return;
  ::sendto(fd_, datagram.data(), datagram.size(), MSG_DONTWAIT, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
}

void Membership::swim_loop() {
  char buf[65536];
  Nanos next_rejoin = monotonic_now() + config_.rejoin_interval;
  while (!stop_) {
    Nanos now = monotonic_now();
    std::vector<reference::Message> out;
    Nanos deadline;
    {
      std::lock_guard lock(mu_);
      if (now >= swim_->next_deadline()) out = swim_->tick(now);
      deadline = swim_->next_deadline();
      // Rejoin and sync (memberlist gets both from its push-pull exchange):
      // SWIM never probes a member it holds dead, so after a partition heals
      // both sides could hold each other dead forever; and a member held
      // suspect at an incarnation it has already refuted stays suspect until
      // its suspicion timer fires once the refutation's gossip is used up. A
      // ping with seq 0 to each member held suspect or dead is acked with its
      // own incarnation (answer_sync) and with the dead gossip it holds about
      // us, which we refute (swim_sync.h).
      if (now >= next_rejoin) {
        next_rejoin = now + config_.rejoin_interval;
        auto pings = sync_pings(*swim_, peer_names_);
        out.insert(out.end(), pings.begin(), pings.end());
      }
      deadline = std::min(deadline, next_rejoin);
    }
    for (const auto& m : out) send_to(m.to, reference::encode(m));
    now = monotonic_now();
    Nanos wait = std::clamp<Nanos>(deadline - now, 0, 50'000'000);
    pollfd p{fd_, POLLIN, 0};
    int r = ::poll(&p, 1, static_cast<int>((wait + 999'999) / 1'000'000));
    if (r <= 0) continue;
    for (;;) {
      ssize_t n = ::recv(fd_, buf, sizeof buf, MSG_DONTWAIT);
      if (n <= 0) break;
      auto msg = reference::decode(std::string_view(buf, static_cast<std::size_t>(n)));
      if (!msg || msg->to != config_.self || !config_.peers.count(msg->from)) continue;
      std::vector<reference::Message> replies;
      {
        std::lock_guard lock(mu_);
        replies = swim_->receive(*msg, monotonic_now());
        answer_sync(*msg, *swim_, replies);
      }
      for (const auto& m : replies) send_to(m.to, reference::encode(m));
    }
  }
}

void Membership::heartbeat_loop() {
  char buf[2048];
  const std::string beat = nlohmann::json{{"t", "hb"}, {"f", config_.self}}.dump();
  Nanos next_beat = monotonic_now();
  while (!stop_) {
    Nanos now = monotonic_now();
    if (now >= next_beat) {
      for (const auto& [name, ep] : config_.peers) send_to(name, beat);
      next_beat = now + config_.heartbeat_interval;
    }
    Nanos wait = std::clamp<Nanos>(next_beat - monotonic_now(), 0, 50'000'000);
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>((wait + 999'999) / 1'000'000)) <= 0) continue;
    for (;;) {
      ssize_t n = ::recv(fd_, buf, sizeof buf, MSG_DONTWAIT);
      if (n <= 0) break;
      auto msg = nlohmann::json::parse(std::string_view(buf, static_cast<std::size_t>(n)), nullptr, false);
      if (!msg.is_object() || msg.value("t", "") != "hb") continue;
      auto from = msg.value("f", "");
      if (!config_.peers.count(from)) continue;
      std::lock_guard lock(mu_);
      Nanos t = monotonic_now();
      detector_->heartbeat(from, t);
      publish_table(t);
    }
  }
}

// The service's background task: sweep the node table, then publish what
// the table says.
void Membership::sweep_loop() {
  while (!stop_) {
    std::this_thread::sleep_for(std::chrono::nanoseconds(config_.sweep_interval));
    std::lock_guard lock(mu_);
    Nanos now = monotonic_now();
    if (config_.heartbeat_stale_table) {
      // BUG (heartbeat-stale-table): sweeps a copy; detector_->table() never changes.
      auto nodes = detector_->table();
      reference::sweep(nodes, detector_->config(), config_.self, now);
    } else {
      reference::sweep(detector_->table(), detector_->config(), config_.self, now);
    }
    publish_table(now);
  }
}

// Publishes every status in the detector's table that differs from what was
// last published (mu_ held).
void Membership::publish_table(Nanos now) {
  for (const auto& [name, record] : detector_->table()) {
    auto& last = published_[name];
    if (last == record.status) continue;
    last = record.status;
    report(reference::StatusChange{now, config_.self, name, record.status, record.incarnation});
  }
}

}  // namespace faultline::demo
