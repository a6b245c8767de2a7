// Session: the transport-independent half of one control connection:
// framing, authentication and refusal of bad input (agent/PROTOCOL.md).
//
// Contract: greeting() is the first line to send (the per-connection nonce).
// feed() takes raw bytes as they arrive; every complete line is verified
// (protocol::Authenticator) and either handed to `submit` as a request body,
// or refused with one error line given to `reply` (id null) and logged,
// naming the peer and the reason. Lines over protocol::kMaxRequestBytes are
// refused without being buffered whole. Nothing a peer sends can end the
// session; the owner decides when to close. Not thread-safe (one reader),
// except the counters.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "agent/protocol/auth.h"
#include "agent/protocol/line_framer.h"

namespace faultline::agent {

class Session {
 public:
  using Reply = std::function<void(std::string line)>;
  using Submit = std::function<void(nlohmann::json body)>;

  Session(std::string token, std::string peer, Reply reply, Submit submit,
          std::size_t max_line = protocol::kMaxRequestBytes);

  std::string greeting() const;
  void feed(std::string_view bytes);
  // Readable from any thread.
  std::uint64_t refused() const { return refused_.load(std::memory_order_relaxed); }
  std::uint64_t accepted() const { return accepted_.load(std::memory_order_relaxed); }

 private:
  void on_line(std::string_view line);
  void refuse(const Error& error);

  protocol::Authenticator auth_;
  protocol::LineFramer framer_;
  std::string peer_;
  Reply reply_;
  Submit submit_;
  std::atomic<std::uint64_t> refused_{0};
  std::atomic<std::uint64_t> accepted_{0};
};

}  // namespace faultline::agent
