#include "faults/net/shaper/shaper.h"

#include <arpa/inet.h>
#include <linux/netfilter.h>
#include <linux/netlink.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sched.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cerrno>
#include <cstring>
#include <limits>
#include <set>
#include <vector>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

// The kernel's nfnetlink.h before libnfnetlink's older copy: both use the
// include guard _NFNETLINK_H, so in a unity batch whichever comes first wins,
// and only the kernel's has the nf_tables names other files in the batch need.
#include <linux/netfilter/nfnetlink.h>
extern "C" {
#include <libnetfilter_queue/libnetfilter_queue.h>
}

#include "faults/net/shaper/packet_edit.h"
#include "faults/net/shaper/packet_plan.h"
#include "faults/net/shaper/timer_wheel.h"

namespace faultline::faults::shaper {
namespace {

std::string errno_text() { return std::strerror(errno); }

// The calling thread's network namespace (device and inode of its nsfs file).
std::pair<dev_t, ino_t> current_netns() {
  struct stat st{};
  if (::stat("/proc/thread-self/ns/net", &st) != 0) return {0, 0};
  return {st.st_dev, st.st_ino};
}

}  // namespace

struct Shaper::Counters {
  std::atomic<std::uint64_t> received{0}, released{0}, delayed{0}, duplicated{0}, corrupted{0}, held{0};
};

struct Shaper::Engine {
  struct Held {
    std::uint32_t packet_id;
    std::vector<std::uint8_t> data;  // edited bytes; empty = accept unchanged
  };
  struct Fault {
    std::unique_ptr<ActiveFault> active;
    unsigned ifindex = 0;  // 0 = any interface but loopback
  };

  Options options;
  Counters* counters = nullptr;
  nfq_handle* handle = nullptr;
  nfq_q_handle* queue = nullptr;
  std::uint16_t queue_number = 0;
  int fd = -1;
  int wake_fd = -1;
  int raw4 = -1;
  int raw6 = -1;
  unsigned loopback = 0;
  std::thread thread;
  std::atomic<bool> stop{false};
  std::atomic<bool> flush{false};  // release everything held now (the last fault went)
  // A flush asked for (remove() of the last fault) and flushes done, so that
  // remove() returns only once what was held has left (see flush_and_wait).
  std::mutex flush_mutex;
  std::condition_variable flushed;
  std::uint64_t flushes_asked = 0;  // guarded by flush_mutex
  std::uint64_t flushes_done = 0;   // guarded by flush_mutex
  std::pair<dev_t, ino_t> netns{0, 0};  // where the queue is bound
  std::mutex faults_mutex;
  std::map<std::string, Fault> faults;  // guarded by faults_mutex
  Prng prng;
  TimerWheel<Held> wheel{250'000, 4096, monotonic_now()};
  std::multiset<std::uint32_t> held_ids;  // ids on the wheel, for batch verdicts
  std::vector<std::uint32_t> due;
  std::vector<std::uint8_t> scratch;

  ~Engine() {
    if (thread.joinable()) {
      stop = true;
      wake();
      thread.join();
    }
    if (queue) nfq_destroy_queue(queue);
    if (handle) nfq_close(handle);
    for (int f : {wake_fd, raw4, raw6})
      if (f >= 0) ::close(f);
  }

  void wake() const {
    std::uint64_t one = 1;
    [[maybe_unused]] auto n = ::write(wake_fd, &one, sizeof one);
  }

  // Asks the thread to release everything it holds and waits (bounded) until
  // it has: a heal is complete when it returns, even if the process then
  // exits at once (its closed socket would make the kernel drop what it held).
  void flush_and_wait(std::chrono::milliseconds bound) {
    std::unique_lock lock(flush_mutex);
    const std::uint64_t ticket = ++flushes_asked;
    flush = true;
    wake();
    if (!flushed.wait_for(lock, bound, [&] { return flushes_done >= ticket; }))
      spdlog::warn("NFQUEUE shaper: held packets not released within {} ms of the last heal", bound.count());
  }

  Result<void> open() {
    loopback = if_nametoindex("lo");
    wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (wake_fd < 0) return io_error("shaper: eventfd: " + errno_text());
    handle = nfq_open();
    if (!handle)
      return unavailable("NFQUEUE shaper: cannot open an nfnetlink_queue socket (" + errno_text() +
                         "; needs CONFIG_NETFILTER_NETLINK_QUEUE and CAP_NET_ADMIN)");
    int last_errno = 0;
    for (int i = 0; i < options.queue_candidates && !queue; ++i) {
      auto number = static_cast<std::uint16_t>(options.first_queue + i);
      queue = nfq_create_queue(handle, number, &Engine::on_packet, this);
      if (queue) queue_number = number;
      else last_errno = errno;
    }
    if (!queue)
      return unavailable(fmt::format("NFQUEUE shaper: no free queue in {}..{} ({})", options.first_queue,
                                     options.first_queue + options.queue_candidates - 1,
                                     std::strerror(last_errno)));
    if (nfq_set_mode(queue, NFQNL_COPY_PACKET, 0xffff) < 0)
      return io_error("NFQUEUE shaper: cannot set copy mode: " + errno_text());
    nfq_set_queue_maxlen(queue, options.queue_maxlen);
    fd = nfq_fd(handle);
    // Held packets stay in the kernel; their notifications must never be lost
    // (a lost one would keep a packet forever): big buffer, no ENOBUFS.
    int size = 32 << 20;
    setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof size);
    int on = 1;
    setsockopt(fd, SOL_NETLINK, NETLINK_NO_ENOBUFS, &on, sizeof on);
    raw4 = socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_RAW);
    raw6 = socket(AF_INET6, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_RAW);
    for (int raw : {raw4, raw6})
      if (raw >= 0) setsockopt(raw, SOL_SOCKET, SO_MARK, &options.duplicate_mark, sizeof options.duplicate_mark);
    scratch.resize(256 * 1024);
    thread = std::thread([this] { run(); });
    return ok_result();
  }

  static int on_packet(nfq_q_handle*, nfgenmsg*, nfq_data* nfa, void* data) {
    static_cast<Engine*>(data)->handle_packet(nfa);
    return 0;
  }

  void verdict(std::uint32_t id, const std::vector<std::uint8_t>& data) {
    nfq_set_verdict(queue, id, NF_ACCEPT, static_cast<std::uint32_t>(data.size()),
                    data.empty() ? nullptr : data.data());
    counters->released.fetch_add(1, std::memory_order_relaxed);
  }

  void send_copy(const PacketInfo& info, const std::uint8_t* bytes, std::size_t length) {
    sockaddr_storage to{};
    socklen_t to_len;
    int raw;
    if (info.family == 4) {
      auto* sin = reinterpret_cast<sockaddr_in*>(&to);
      sin->sin_family = AF_INET;
      std::memcpy(&sin->sin_addr, info.destination, 4);
      to_len = sizeof *sin;
      raw = raw4;
    } else {
      auto* sin6 = reinterpret_cast<sockaddr_in6*>(&to);
      sin6->sin6_family = AF_INET6;
      std::memcpy(&sin6->sin6_addr, info.destination, 16);
      to_len = sizeof *sin6;
      raw = raw6;
    }
    if (raw < 0) return;
    if (::sendto(raw, bytes, length, MSG_DONTWAIT, reinterpret_cast<sockaddr*>(&to), to_len) >= 0)
      counters->duplicated.fetch_add(1, std::memory_order_relaxed);
  }

  // Called with faults_mutex held (run() holds it around each batch).
  void handle_packet(nfq_data* nfa) {
    auto* header = nfq_get_msg_packet_hdr(nfa);
    if (!header) return;
    std::uint32_t id = ntohl(header->packet_id);
    counters->received.fetch_add(1, std::memory_order_relaxed);
    unsigned char* payload = nullptr;
    int length = nfq_get_payload(nfa, &payload);
    static const std::vector<std::uint8_t> unchanged;
    if (length <= 0) return verdict(id, unchanged);
    std::span<const std::uint8_t> bytes(payload, static_cast<std::size_t>(length));
    auto info = parse_packet(bytes);
    if (!info) return verdict(id, unchanged);
    bool is_copy = nfq_get_nfmark(nfa) == options.duplicate_mark;
    unsigned outdev = nfq_get_outdev(nfa), indev = nfq_get_indev(nfa);
    PacketPlan plan;
    bool matched = false;
    for (auto& [name, fault] : faults) {
      // An ingress fault sees packets arriving (indev, the peer is the
      // source); an egress fault packets leaving (outdev, the destination).
      const bool ingress = fault.active->fault().ingress;
      const unsigned dev = ingress ? indev : outdev;
      if (ingress != (outdev == 0)) continue;
      if (fault.ifindex ? dev != fault.ifindex : dev == loopback) continue;
      if (!fault.active->fault().matches_destination(info->family, ingress ? info->source : info->destination)) continue;
      matched = true;
      fault.active->contribute(plan, is_copy);
    }
    if (!matched) return verdict(id, unchanged);
    if (plan.duplicate) send_copy(*info, payload, static_cast<std::size_t>(length));
    Held held{id, {}};
    if (plan.corrupt) {
      held.data.assign(payload, payload + length);
      if (corrupt_payload(held.data, (std::uint64_t{prng.next()} << 32) | prng.next(), plan.recompute_checksum))
        counters->corrupted.fetch_add(1, std::memory_order_relaxed);
      else
        held.data.clear();
    }
    Nanos delay = plan.effective_delay();
    if (delay <= 0) return verdict(id, held.data);
    held_ids.insert(id);
    wheel.schedule(monotonic_now() + delay, std::move(held));
    counters->delayed.fetch_add(1, std::memory_order_relaxed);
  }

  // Releases what is due. Unedited packets go with ONE batch verdict
  // (nfq_set_verdict_batch accepts every queued id <= the given one) when no
  // packet we still hold has a lower id: the kernel numbers packets in queue
  // order and everything we read is either held, released or in this batch,
  // so the batch accepts exactly these. Otherwise, one verdict each.
  void release_due(Nanos now) {
    due.clear();
    wheel.expire(now, [this](Nanos, Held held) {
      held_ids.erase(held_ids.find(held.packet_id));
      if (!held.data.empty()) verdict(held.packet_id, held.data);
      else due.push_back(held.packet_id);
    });
    counters->held.store(wheel.size(), std::memory_order_relaxed);
    if (due.empty()) return;
    auto [lowest, highest] = std::minmax_element(due.begin(), due.end());
    bool wraps = *highest - *lowest > (1u << 30) ||
                 (!held_ids.empty() && *held_ids.rbegin() - *held_ids.begin() > (1u << 30));
    if (due.size() > 1 && !wraps && (held_ids.empty() || *held_ids.begin() > *highest)) {
      nfq_set_verdict_batch(queue, *highest, NF_ACCEPT);
      counters->released.fetch_add(due.size(), std::memory_order_relaxed);
      return;
    }
    static const std::vector<std::uint8_t> unchanged;
    for (auto id : due) verdict(id, unchanged);
  }

  void run() {
    prctl(PR_SET_TIMERSLACK, 1000UL, 0, 0, 0);  // wake within ~1us of a due time
    pthread_setname_np(pthread_self(), "fl-shaper");
    // netem releases packets from softirq context, unaffected by a busy run
    // queue; to keep its timing on a loaded host this thread asks for a low
    // real-time priority (it sleeps in ppoll between due times), else for the
    // highest nice level it may have. Failure only costs accuracy.
    sched_param param{};
    param.sched_priority = 5;
    if (pthread_setschedparam(pthread_self(), SCHED_FIFO, &param) != 0)
      setpriority(PRIO_PROCESS, static_cast<id_t>(gettid()), -15);
    while (!stop.load()) {
      release_due(monotonic_now());
      timespec timeout{};
      timespec* timeout_ptr = nullptr;
      if (auto due = wheel.next_due()) {
        Nanos wait = std::max<Nanos>(*due - monotonic_now(), 0);
        timeout.tv_sec = wait / 1'000'000'000;
        timeout.tv_nsec = wait % 1'000'000'000;
        timeout_ptr = &timeout;
      }
      pollfd fds[2] = {{fd, POLLIN, 0}, {wake_fd, POLLIN, 0}};
      int ready = ppoll(fds, 2, timeout_ptr, nullptr);
      if (ready < 0 && errno != EINTR) {
        spdlog::error("NFQUEUE shaper: poll failed: {}", errno_text());
        break;
      }
      if (fds[1].revents & POLLIN) {
        std::uint64_t value;
        [[maybe_unused]] auto n = ::read(wake_fd, &value, sizeof value);
      }
      if (fds[0].revents & POLLIN) drain();
      if (flush.exchange(false)) {  // no fault left: what we hold leaves now, as netem's qdisc delete does
        std::uint64_t asked;
        {
          std::lock_guard lock(flush_mutex);
          asked = flushes_asked;
        }
        drain();
        release_due(std::numeric_limits<Nanos>::max());
        {
          std::lock_guard lock(flush_mutex);
          flushes_done = std::max(flushes_done, asked);
        }
        flushed.notify_all();
      }
    }
    // Stopping: the rules are gone (or going); let every packet we hold, and
    // every one still waiting in the socket, go now rather than be dropped.
    drain();
    release_due(std::numeric_limits<Nanos>::max());
  }

  void drain() {
    std::lock_guard lock(faults_mutex);
    for (int i = 0; i < 1024; ++i) {
      ssize_t n = ::recv(fd, scratch.data(), scratch.size(), MSG_DONTWAIT);
      if (n <= 0) break;
      nfq_handle_packet(handle, reinterpret_cast<char*>(scratch.data()), static_cast<int>(n));
    }
  }
};

Shaper::Shaper() : Shaper(Options{}) {}
Shaper::Shaper(Options options) : options_(options), counters_(std::make_unique<Counters>()) {}

Shaper::~Shaper() {
  std::lock_guard lock(mutex_);
  engine_.reset();
}

std::shared_ptr<Shaper> Shaper::shared() {
  static auto instance = std::make_shared<Shaper>();
  return instance;
}

Result<std::uint16_t> Shaper::add(const std::string& id, const ShaperFault& fault) {
  std::lock_guard lock(mutex_);
  unsigned ifindex = 0;
  if (!fault.interface.empty()) {
    ifindex = if_nametoindex(fault.interface.c_str());
    if (ifindex == 0)
      return invalid_input(fmt::format("{} fault: no interface '{}' on this host", fault.kind, fault.interface));
  }
  // The engine stays bound while idle (binding a queue and starting its
  // thread was most of the time of an apply); it is rebuilt when a fault is
  // added from another network namespace while no fault is active.
  auto here = current_netns();
  if (engine_ && faults_.empty() && engine_->netns != here) engine_.reset();
  if (!engine_) {
    auto engine = std::make_unique<Engine>();
    engine->options = options_;
    engine->counters = counters_.get();
    engine->netns = here;
    if (auto opened = engine->open(); !opened) return opened.error();
    engine_ = std::move(engine);
  }
  {
    std::lock_guard faults_lock(engine_->faults_mutex);
    engine_->faults[id] = Engine::Fault{std::make_unique<ActiveFault>(fault, engine_->prng), ifindex};
  }
  faults_[id] = fault;
  return engine_->queue_number;
}

void Shaper::remove(const std::string& id) {
  std::lock_guard lock(mutex_);
  faults_.erase(id);
  if (!engine_) return;
  {
    std::lock_guard faults_lock(engine_->faults_mutex);
    engine_->faults.erase(id);
  }
  // Idle: release what it holds now, before returning; the queue stays bound (see add()).
  if (faults_.empty()) engine_->flush_and_wait(std::chrono::milliseconds(500));
}

bool Shaper::has(const std::string& id) const {
  std::lock_guard lock(mutex_);
  return faults_.count(id) != 0;
}

bool Shaper::running() const {
  std::lock_guard lock(mutex_);
  return engine_ != nullptr;
}

std::optional<std::uint16_t> Shaper::queue() const {
  std::lock_guard lock(mutex_);
  if (!engine_) return std::nullopt;
  return engine_->queue_number;
}

Shaper::Stats Shaper::stats() const {
  auto& c = *counters_;
  return Stats{c.received.load(), c.released.load(), c.delayed.load(),
               c.duplicated.load(), c.corrupted.load(), c.held.load()};
}

}  // namespace faultline::faults::shaper
