#include "checkers/reference/detector_replay.h"

#include <algorithm>
#include <memory>
#include <queue>
#include <random>
#include <unordered_map>

#include "checkers/reference/heartbeat_detector.h"
#include "checkers/reference/phi_accrual.h"
#include "checkers/reference/swim.h"

namespace faultline::reference {
namespace {

using ChangeSink = std::function<void(int observer, const std::string& subject, Status status, Nanos now)>;

// One node's reference detector, whatever its kind.
class Replica {
 public:
  virtual ~Replica() = default;
  virtual std::vector<Message> start(Nanos now, bool restart) = 0;
  virtual std::vector<Message> tick(Nanos now) = 0;
  virtual std::vector<Message> receive(const Message& message, Nanos now) = 0;
  virtual Nanos next_deadline() const = 0;
};

class SwimReplica : public Replica {
 public:
  SwimReplica(int self, const std::vector<std::string>& names, const DetectorProfile& profile, std::uint64_t seed,
              Nanos now, const ChangeSink& sink)
      : node_(names[static_cast<std::size_t>(self)], profile.swim, seed, now), join_(profile.join_on_restart) {
    for (const auto& n : names) node_.add_member(n);
    node_.set_listener([self, sink](const StatusChange& c) { sink(self, c.subject, c.status, c.time); });
  }
  std::vector<Message> start(Nanos now, bool restart) override {
    return restart && join_ ? node_.join(now) : std::vector<Message>{};
  }
  std::vector<Message> tick(Nanos now) override { return node_.tick(now); }
  std::vector<Message> receive(const Message& m, Nanos now) override { return node_.receive(m, now); }
  Nanos next_deadline() const override { return node_.next_deadline(); }

 private:
  SwimNode node_;
  bool join_;
};

// All-to-all heartbeats into a heartbeat or phi accrual detector.
template <typename Detector>
class HeartbeatReplica : public Replica {
 public:
  HeartbeatReplica(int self, const std::vector<std::string>& names, Detector detector, Nanos interval, Nanos phase,
                   const ChangeSink& sink)
      : self_(self), names_(names), detector_(std::move(detector)), interval_(interval) {
    next_beat_ = phase;
    sweep_ = std::min<Nanos>(100'000'000, std::max<Nanos>(interval / 4, 1'000'000));
    next_sweep_ = phase;
    detector_.set_listener([self, sink](const StatusChange& c) { sink(self, c.subject, c.status, c.time); });
  }
  std::vector<Message> start(Nanos now, bool) override {
    if constexpr (std::is_same_v<Detector, HeartbeatDetector>) {
      for (std::size_t i = 0; i < names_.size(); ++i)
        if (static_cast<int>(i) != self_) detector_.add(names_[i], now);
    }
    next_beat_ = std::max(next_beat_, now);
    next_sweep_ = std::max(next_sweep_, now);
    return {};
  }
  std::vector<Message> tick(Nanos now) override {
    std::vector<Message> out;
    if (now >= next_sweep_) {
      detector_.evaluate(now);
      next_sweep_ = now + sweep_;
    }
    if (now >= next_beat_) {
      next_beat_ = now + interval_;
      for (std::size_t i = 0; i < names_.size(); ++i) {
        if (static_cast<int>(i) == self_) continue;
        Message m;
        m.type = MessageType::kGossip;
        m.from = names_[static_cast<std::size_t>(self_)];
        m.to = names_[i];
        out.push_back(std::move(m));
      }
    }
    return out;
  }
  std::vector<Message> receive(const Message& m, Nanos now) override {
    detector_.heartbeat(m.from, now);
    return {};
  }
  Nanos next_deadline() const override { return std::min(next_beat_, next_sweep_); }

 private:
  int self_;
  const std::vector<std::string>& names_;
  Detector detector_;
  Nanos interval_;
  Nanos next_beat_ = 0;
  Nanos sweep_ = 0;
  Nanos next_sweep_ = 0;
};

struct Ev {
  Nanos time = 0;
  int kind = 0;  // 0 boundary, 1 delivery, 2 tick: boundaries first at equal times
  std::uint64_t seq = 0;
  int node = 0;       // delivery/tick: the node; boundary: the window index
  bool end = false;   // boundary: the window's end
  std::shared_ptr<Message> message;
  bool tcp = false;
};

struct PopsEarliestEv {
  bool operator()(const Ev& a, const Ev& b) const {
    if (a.time != b.time) return a.time > b.time;
    if (a.kind != b.kind) return a.kind > b.kind;
    return a.seq > b.seq;
  }
};

Result<void> validate(const ReplayConfig& c) {
  const int n = static_cast<int>(c.nodes.size());
  if (n < 2) return invalid_input("detector replay: needs at least 2 nodes");
  if (c.duration <= 0) return invalid_input("detector replay: duration must be > 0");
  if (c.min_delay < 0 || c.max_delay < c.min_delay) return invalid_input("detector replay: 0 <= min_delay <= max_delay");
  for (const auto& w : c.schedule) {
    if (w.end < w.start) return invalid_input("detector replay: a window ends before it starts");
    for (int x : w.nodes)
      if (x < 0 || x >= n) return invalid_input("detector replay: window node out of range");
    for (auto [a, b] : w.drops)
      if (a < 0 || a >= n || b < 0 || b >= n) return invalid_input("detector replay: drop node out of range");
    if (w.loss < 0 || w.loss > 1) return invalid_input("detector replay: loss must be in [0, 1]");
  }
  if (c.profile.kind == "swim") return c.profile.swim.validate();
  if (c.profile.kind != "heartbeat" && c.profile.kind != "phi")
    return invalid_input("detector replay: unknown kind \"" + c.profile.kind + "\"");
  if (c.profile.heartbeat_interval <= 0) return invalid_input("detector replay: heartbeat_interval must be > 0");
  return ok_result();
}

class Replay {
 public:
  explicit Replay(const ReplayConfig& c) : c_(c), n_(static_cast<int>(c.nodes.size())), net_(c.seed) {
    for (int i = 0; i < n_; ++i) index_[c.nodes[static_cast<std::size_t>(i)]] = i;
    down_.assign(static_cast<std::size_t>(n_), 0);
    paused_.assign(static_cast<std::size_t>(n_), 0);
    drop_.assign(static_cast<std::size_t>(n_) * n_, 0);
    delay_.assign(static_cast<std::size_t>(n_), 0);
    jitter_.assign(static_cast<std::size_t>(n_), 0);
    loss_.assign(static_cast<std::size_t>(n_), 0.0);
    pending_.resize(static_cast<std::size_t>(n_));
    scheduled_.assign(static_cast<std::size_t>(n_), kNever);
    restarts_.assign(static_cast<std::size_t>(n_), 0);
    active_.assign(c.schedule.size(), 0);
    sink_ = [this](int observer, const std::string& subject, Status status, Nanos now) {
      auto it = index_.find(subject);
      if (it == index_.end() || it->second == observer) return;
      result_.changes.push_back(ReplayChange{now, observer, it->second, status, false});
    };
  }

  Result<ReplayResult> run() {
    for (int i = 0; i < n_; ++i) {
      replicas_.push_back(make(i, 0));
      send(i, replicas_.back()->start(0, false), 0);
    }
    for (std::size_t w = 0; w < c_.schedule.size(); ++w) {
      push(Ev{c_.schedule[w].start, 0, 0, static_cast<int>(w), false, nullptr, false});
      push(Ev{c_.schedule[w].end, 0, 0, static_cast<int>(w), true, nullptr, false});
    }
    for (int i = 0; i < n_; ++i) schedule(i, 0);
    while (!queue_.empty()) {
      Ev ev = queue_.top();
      queue_.pop();
      if (ev.time > c_.duration) break;
      ++result_.events;
      if (ev.kind == 0) {
        boundary(ev);
        continue;
      }
      const int i = ev.node;
      if (down_[static_cast<std::size_t>(i)]) continue;
      if (ev.kind == 2) {
        if (ev.time != scheduled_[static_cast<std::size_t>(i)]) continue;  // superseded
        scheduled_[static_cast<std::size_t>(i)] = kNever;
        if (paused_[static_cast<std::size_t>(i)]) continue;  // resumes at the pause's end
        send(i, replicas_[static_cast<std::size_t>(i)]->tick(ev.time), ev.time);
      } else {
        if (paused_[static_cast<std::size_t>(i)]) {
          pending_[static_cast<std::size_t>(i)].push_back(ev.message);
          continue;
        }
        send(i, replicas_[static_cast<std::size_t>(i)]->receive(*ev.message, ev.time), ev.time);
      }
      schedule(i, ev.time);
    }
    std::stable_sort(result_.changes.begin(), result_.changes.end(),
                     [](const ReplayChange& a, const ReplayChange& b) { return a.time < b.time; });
    return std::move(result_);
  }

 private:
  static constexpr Nanos kNever = std::numeric_limits<Nanos>::max();

  std::unique_ptr<Replica> make(int i, Nanos now) {
    const std::uint64_t seed =
        c_.seed * 1'000'003ULL + static_cast<std::uint64_t>(i) * 7919ULL + restarts_[static_cast<std::size_t>(i)] * 104'729ULL;
    const auto& p = c_.profile;
    if (p.kind == "swim") return std::make_unique<SwimReplica>(i, c_.nodes, p, seed, now, sink_);
    std::mt19937_64 rng(seed);
    const Nanos phase = now + static_cast<Nanos>(rng() % static_cast<std::uint64_t>(p.heartbeat_interval));
    const std::string& self = c_.nodes[static_cast<std::size_t>(i)];
    if (p.kind == "heartbeat")
      return std::make_unique<HeartbeatReplica<HeartbeatDetector>>(i, c_.nodes, HeartbeatDetector(self, p.heartbeat),
                                                                   p.heartbeat_interval, phase, sink_);
    return std::make_unique<HeartbeatReplica<PhiAccrualDetector>>(i, c_.nodes, PhiAccrualDetector(self, p.phi),
                                                                  p.heartbeat_interval, phase, sink_);
  }

  void push(Ev ev) {
    ev.seq = ++seq_;
    queue_.push(std::move(ev));
  }

  void schedule(int i, Nanos now) {
    if (down_[static_cast<std::size_t>(i)]) return;
    Nanos next = std::max(replicas_[static_cast<std::size_t>(i)]->next_deadline(), now);
    if (next < scheduled_[static_cast<std::size_t>(i)]) {
      scheduled_[static_cast<std::size_t>(i)] = next;
      push(Ev{next, 2, 0, i, false, nullptr, false});
    }
  }

  void send(int from, std::vector<Message>&& out, Nanos now) {
    for (auto& m : out) {
      auto it = index_.find(m.to);
      if (it == index_.end()) continue;
      const int to = it->second;
      if (drop_[static_cast<std::size_t>(to) * n_ + from]) continue;
      const bool tcp = m.type == MessageType::kPushPull || m.type == MessageType::kPushPullReply;
      const auto f = static_cast<std::size_t>(from);
      if (!tcp && loss_[f] > 0 && unit_(net_) < loss_[f]) continue;
      Nanos d = std::uniform_int_distribution<Nanos>(c_.min_delay, c_.max_delay)(net_) + delay_[f];
      if (jitter_[f] > 0) d += std::uniform_int_distribution<Nanos>(-jitter_[f], jitter_[f])(net_);
      push(Ev{now + std::max<Nanos>(d, 0), 1, 0, to, false, std::make_shared<Message>(std::move(m)), tcp});
    }
  }

  void boundary(const Ev& ev) {
    const auto& w = c_.schedule[static_cast<std::size_t>(ev.node)];
    active_[static_cast<std::size_t>(ev.node)] = ev.end ? 0 : 1;
    using K = NetworkWindow::Kind;
    if (w.kind == K::kDown) {
      for (int x : w.nodes) {
        auto& d = down_[static_cast<std::size_t>(x)];
        if (!ev.end) {
          ++d;
          pending_[static_cast<std::size_t>(x)].clear();
        } else if (d > 0 && --d == 0) {
          restart(x, ev.time);
        }
      }
    } else if (w.kind == K::kPause) {
      for (int x : w.nodes) {
        auto& p = paused_[static_cast<std::size_t>(x)];
        if (!ev.end) ++p;
        else if (p > 0 && --p == 0) resume(x, ev.time);
      }
    } else {
      recompute();
    }
  }

  void restart(int x, Nanos now) {
    ++restarts_[static_cast<std::size_t>(x)];
    for (int s = 0; s < n_; ++s)
      if (s != x) result_.changes.push_back(ReplayChange{now, x, s, Status::kAlive, true});
    replicas_[static_cast<std::size_t>(x)] = make(x, now);
    scheduled_[static_cast<std::size_t>(x)] = kNever;
    send(x, replicas_[static_cast<std::size_t>(x)]->start(now, true), now);
    if (!paused_[static_cast<std::size_t>(x)]) schedule(x, now);
  }

  void resume(int x, Nanos now) {
    if (down_[static_cast<std::size_t>(x)]) return;
    auto queued = std::move(pending_[static_cast<std::size_t>(x)]);
    pending_[static_cast<std::size_t>(x)].clear();
    for (const auto& m : queued) send(x, replicas_[static_cast<std::size_t>(x)]->receive(*m, now), now);
    scheduled_[static_cast<std::size_t>(x)] = kNever;
    send(x, replicas_[static_cast<std::size_t>(x)]->tick(now), now);
    schedule(x, now);
  }

  void recompute() {
    std::fill(drop_.begin(), drop_.end(), 0);
    std::fill(delay_.begin(), delay_.end(), 0);
    std::fill(jitter_.begin(), jitter_.end(), 0);
    std::vector<double> keep(static_cast<std::size_t>(n_), 1.0);
    for (std::size_t k = 0; k < c_.schedule.size(); ++k) {
      if (!active_[k]) continue;
      const auto& w = c_.schedule[k];
      using K = NetworkWindow::Kind;
      if (w.kind == K::kDrop) {
        for (auto [a, b] : w.drops) drop_[static_cast<std::size_t>(a) * n_ + b] = 1;
        continue;
      }
      for (int x = 0; x < n_; ++x) {
        if (!w.nodes.empty() && std::find(w.nodes.begin(), w.nodes.end(), x) == w.nodes.end()) continue;
        const auto xi = static_cast<std::size_t>(x);
        if (w.kind == K::kDelay) {
          delay_[xi] += w.delay;
          jitter_[xi] += w.jitter;
        } else if (w.kind == K::kLoss) {
          keep[xi] *= 1.0 - w.loss;
        }
      }
    }
    for (int x = 0; x < n_; ++x) loss_[static_cast<std::size_t>(x)] = 1.0 - keep[static_cast<std::size_t>(x)];
  }

  const ReplayConfig& c_;
  int n_;
  std::mt19937_64 net_;
  std::uniform_real_distribution<double> unit_{0.0, 1.0};
  std::unordered_map<std::string, int> index_;
  std::vector<std::unique_ptr<Replica>> replicas_;
  std::vector<int> down_, paused_;
  std::vector<char> drop_;
  std::vector<Nanos> delay_, jitter_;
  std::vector<double> loss_;
  std::vector<std::vector<std::shared_ptr<Message>>> pending_;
  std::vector<Nanos> scheduled_;
  std::vector<std::uint64_t> restarts_;
  std::vector<char> active_;
  std::priority_queue<Ev, std::vector<Ev>, PopsEarliestEv> queue_;
  std::uint64_t seq_ = 0;
  ChangeSink sink_;
  ReplayResult result_;
};

}  // namespace

Result<ReplayResult> run_detector_replay(const ReplayConfig& config) {
  if (auto v = validate(config); !v) return v.error();
  Replay replay(config);
  return replay.run();
}

}  // namespace faultline::reference
