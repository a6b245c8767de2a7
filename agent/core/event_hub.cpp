#include "agent/core/event_hub.h"

namespace faultline::agent {

void EventHub::publish(Nanos agent_mono, nlohmann::json event) {
  std::lock_guard lock(mutex_);
  ++published_;
  if (subscribers_.empty()) {
    if (capacity_ == 0) {
      ++dropped_;
      return;
    }
    if (buffer_.size() >= capacity_) {
      buffer_.pop_front();
      ++dropped_;
    }
    buffer_.emplace_back(agent_mono, std::move(event));
    return;
  }
  for (auto& [id, callback] : subscribers_) callback(agent_mono, event);
}

void EventHub::subscribe(std::uint64_t subscriber, Callback callback) {
  std::lock_guard lock(mutex_);
  for (auto& [mono, event] : buffer_) callback(mono, event);
  buffer_.clear();
  subscribers_[subscriber] = std::move(callback);
}

void EventHub::unsubscribe(std::uint64_t subscriber) {
  std::lock_guard lock(mutex_);
  subscribers_.erase(subscriber);
}

std::uint64_t EventHub::published() const {
  std::lock_guard lock(mutex_);
  return published_;
}

std::uint64_t EventHub::dropped() const {
  std::lock_guard lock(mutex_);
  return dropped_;
}

std::uint64_t EventHub::rejected() const {
  std::lock_guard lock(mutex_);
  return rejected_;
}

void EventHub::count_rejected() {
  std::lock_guard lock(mutex_);
  ++rejected_;
}

nlohmann::json EventHub::stats() const {
  std::lock_guard lock(mutex_);
  return {{"published", published_},
          {"dropped_while_unsubscribed", dropped_},
          {"rejected_not_json", rejected_},
          {"buffered", buffer_.size()},
          {"buffer_capacity", capacity_},
          {"subscribers", subscribers_.size()}};
}

}  // namespace faultline::agent
