// Request authentication for the agent's control protocol (agent/PROTOCOL.md).
//
// Contract: a connection starts with the agent sending a random per-connection
// nonce. Every request line is an envelope
//   {"counter": C, "mac": HEX, "body": "<request JSON as a string>"}
// where HEX = HMAC-SHA256(token, nonce "\n" C "\n" body) in lowercase hex and
// C is strictly greater than the previous accepted counter of this
// connection. So a request captured on one connection cannot be replayed on
// it (counter) nor on another one (nonce), and the body's exact bytes are
// signed (no JSON canonicalisation). Authenticator::verify() returns the
// parsed body, or a kUnauthenticated / kInvalidInput Error that says what was
// wrong; a refused line never advances the counter. Comparison of MACs is
// constant time. Tokens come from a file that must not be accessible to group
// or other (read_token_file checks that).
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "common/result.h"

namespace faultline::agent::protocol {

// Largest request line the agent accepts (bytes, newline excluded).
inline constexpr std::size_t kMaxRequestBytes = 1u << 20;

std::string hmac_sha256_hex(std::string_view key, std::string_view data);
std::string random_hex(std::size_t bytes);
std::string signing_input(std::string_view nonce, std::uint64_t counter, std::string_view body);

// One signed request line (without the trailing newline). `body` must be
// UTF-8 (it is the dump of a JSON value); other bytes make it throw.
std::string make_envelope(std::string_view token, std::string_view nonce, std::uint64_t counter,
                          std::string_view body);

class Authenticator {
 public:
  Authenticator(std::string token, std::string nonce)
      : token_(std::move(token)), nonce_(std::move(nonce)) {}

  const std::string& nonce() const { return nonce_; }
  std::uint64_t last_counter() const { return last_counter_; }

  // Verifies one line; on success the counter advances and the body (a JSON
  // object) is returned.
  Result<nlohmann::json> verify(std::string_view line);

 private:
  std::string token_;
  std::string nonce_;
  std::uint64_t last_counter_ = 0;
};

// Reads a token file: trailing whitespace is stripped; an empty token, an
// unreadable file, or (when check_permissions) a file with any group/other
// permission bit is an Error naming the file.
Result<std::string> read_token_file(const std::filesystem::path& path, bool check_permissions = true);

}  // namespace faultline::agent::protocol
