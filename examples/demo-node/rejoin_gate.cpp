#include "examples/demo-node/rejoin_gate.h"

#include <cstdio>

namespace faultline::demo {

RejoinGate::RejoinGate(Nanos hold, std::vector<std::string> peers, StatusOf status, Nanos poll)
    : hold_(hold), peers_(std::move(peers)), status_(std::move(status)), poll_(poll) {}

RejoinGate::~RejoinGate() { stop(); }

void RejoinGate::restart_hold() {
  if (hold_ > 0) refuse_until_ = monotonic_now() + hold_;
}

void RejoinGate::start() {
  if (hold_ > 0 && !thread_.joinable()) thread_ = std::thread([this] { loop(); });
}

void RejoinGate::stop() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
}

bool RejoinGate::refusing() const { return hold_ > 0 && monotonic_now() < refuse_until_.load(); }

void RejoinGate::loop() {
  const std::size_t cluster = peers_.size() + 1, majority = cluster / 2 + 1;
  bool had_majority = true;
  while (!stop_) {
    std::size_t alive = 1;  // itself
    for (const auto& p : peers_) {
      auto s = status_(p);
      alive += !s || *s == reference::Status::kAlive;  // not yet known: no sign of a cut
    }
    const bool has_majority = alive >= majority;
    if (has_majority && !had_majority) {
      // BUG (slow-recovery): "warm up" after rejoining, refusing clients meanwhile.
      refuse_until_ = monotonic_now() + hold_;
      std::fprintf(stderr, "faultline-demo-node: rejoined the majority; refusing client requests for %s (bug slow-recovery)\n",
                   format_duration(hold_).c_str());
    }
    had_majority = has_majority;
    std::this_thread::sleep_for(std::chrono::nanoseconds(poll_));
  }
}

}  // namespace faultline::demo
