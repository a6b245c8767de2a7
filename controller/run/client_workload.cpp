#include "controller/run/client_workload.h"

#include <csignal>
#include <cerrno>

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>

#include "common/proc_identity.h"
#include "controller/run/placeholders.h"

namespace faultline::controller {
namespace {

constexpr int kTickMs = 1;                     // how often an idle pipe is looked at
constexpr std::size_t kChunk = 1 << 16;         // >= a pipe's default capacity: one read drains it
constexpr Nanos kStopGrace = 3'000'000'000;

}  // namespace

void ClientWorkload::start() {
  const auto& client = *ctx_.suite.client;
  std::error_code ec;
  std::filesystem::create_directories(ctx_.dir / "logs", ec);
  const auto infos = ctx_.node_infos();
  nlohmann::json records = nlohmann::json::array();
  std::vector<pid_t> groups;
  for (int c = 0; c < client.concurrency; ++c) {
    auto values = client_values({ctx_.suite, infos, ctx_.suite_dir}, c);
    auto p = spawn_client(expand(client.command, values), ctx_.dir / "logs" / fmt::format("client-{}.log", c));
    if (!p) {
      ctx_.error(fmt::format("client {}: {}", c, p.error().message));
      continue;
    }
    Client entry;
    entry.pid = p->pid;
    entry.fd = p->stdout_fd;
    entry.empty_since = monotonic_now();
    clients_.push_back(std::move(entry));
    groups.push_back(p->pid);
    if (auto id = ProcIdentity::of(p->pid); id)
      records.push_back({{"pid", p->pid}, {"pgid", p->pid}, {"start_time", id->start_time}});
  }
  if (ctx_.cluster)
    if (auto r = ctx_.cluster->remember("clients", records); !r)
      ctx_.error(fmt::format("recording the client processes: {}", r.error().message));
  if (auto w = spawn_watchdog(groups); w) watchdog_ = *w;
  else ctx_.error(fmt::format("client watchdog: {}", w.error().message));
  wake_fd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  reader_ = std::thread([this] { read_loop(); });
}

void ClientWorkload::read_loop() {
  int ep = ::epoll_create1(EPOLL_CLOEXEC);
  for (std::size_t c = 0; c < clients_.size(); ++c) {
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = c;
    ::epoll_ctl(ep, EPOLL_CTL_ADD, clients_[c].fd, &ev);
  }
  epoll_event wake{};
  wake.events = EPOLLIN;
  wake.data.u64 = clients_.size();
  ::epoll_ctl(ep, EPOLL_CTL_ADD, wake_fd_, &wake);
  std::vector<epoll_event> ready(clients_.size() + 1);
  std::vector<char> is_ready(clients_.size());
  while (!stopping_.load()) {
    const Nanos before = monotonic_now();
    int n = ::epoll_wait(ep, ready.data(), static_cast<int>(ready.size()), kTickMs);
    if (n < 0 && errno != EINTR) break;
    std::fill(is_ready.begin(), is_ready.end(), 0);
    for (int k = 0; k < n; ++k)
      if (ready[k].data.u64 < clients_.size()) is_ready[ready[k].data.u64] = 1;
    for (std::size_t c = 0; c < clients_.size(); ++c) {
      if (clients_[c].fd < 0) continue;
      if (is_ready[c]) drain(c);
      else clients_[c].empty_since = before;  // nothing there at some moment after `before`
    }
  }
  ::close(ep);
  for (std::size_t c = 0; c < clients_.size(); ++c)
    if (clients_[c].fd >= 0) drain(c);  // what the stopped clients printed last
}

void ClientWorkload::drain(std::size_t c) {
  auto& client = clients_[c];
  static thread_local std::vector<char> buffer(kChunk);
  for (;;) {
    const Nanos start = monotonic_now();
    ssize_t n = ::read(client.fd, buffer.data(), buffer.size());
    const Nanos end = monotonic_now();
    if (n > 0)
      for (const auto& line : client.lines.add({buffer.data(), static_cast<std::size_t>(n)}, client.empty_since, end))
        record(c, line);
    if (n == static_cast<ssize_t>(buffer.size())) continue;  // there may be more
    if (n < 0 && errno == EINTR) continue;
    if (n == 0 || (n < 0 && errno != EAGAIN)) {  // end of output
      ::close(client.fd);
      client.fd = -1;
      return;
    }
    client.empty_since = start;  // drained: what comes next was written after `start`
    return;
  }
}

void ClientWorkload::record(std::size_t c, const TimedLine& line) {
  auto op = nlohmann::json::parse(line.text, nullptr, false);
  if (op.is_discarded() || !op.is_object() || !op.contains("type")) {
    ctx_.history.record(line.read_at - ctx_.t0,
                        {{"type", "log"}, {"message", fmt::format("client {}: not a JSON op: {}", c, line.text)}});
    return;
  }
  if (!op.contains("process")) op["process"] = static_cast<int>(c);
  Stamp stamp = stamp_op(op, line);
  if (stamp.rejected_client && !clients_[c].warned) {
    clients_[c].warned = true;
    ctx_.history.record(line.read_at - ctx_.t0,
                        {{"type", "log"},
                         {"message", fmt::format("client {}: \"mono_ns\" is not this host's CLOCK_MONOTONIC at the time "
                                                 "(later than the line was read); using the controller's bounds",
                                                 c)}});
  }
  ctx_.history.record(stamp.time - ctx_.t0, op);
}

void ClientWorkload::stop() {
  if (!reader_.joinable() && clients_.empty()) return;
  for (auto& c : clients_) ::kill(-c.pid, SIGTERM);
  const Nanos deadline = monotonic_now() + kStopGrace;
  for (auto& c : clients_) {
    int status = 0;
    while (::waitpid(c.pid, &status, WNOHANG) == 0) {
      if (monotonic_now() > deadline) {
        ::kill(-c.pid, SIGKILL);
        ::waitpid(c.pid, &status, 0);
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    ::kill(-c.pid, SIGKILL);  // anything the client left in its group
  }
  stopping_ = true;
  if (wake_fd_ >= 0) {
    std::uint64_t one = 1;
    (void)::write(wake_fd_, &one, sizeof one);
  }
  if (reader_.joinable()) reader_.join();
  for (auto& c : clients_)
    if (c.fd >= 0) ::close(c.fd);
  if (wake_fd_ >= 0) ::close(wake_fd_);
  wake_fd_ = -1;
  stop_watchdog(watchdog_);
  clients_.clear();
}

}  // namespace faultline::controller
