#include "agent/protocol/auth.h"

#include <sys/stat.h>

#include <fstream>
#include <sstream>

#include <fmt/format.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

namespace faultline::agent::protocol {

namespace {
std::string to_hex(const unsigned char* data, std::size_t size) {
  static const char* digits = "0123456789abcdef";
  std::string out(size * 2, '0');
  for (std::size_t i = 0; i < size; ++i) {
    out[2 * i] = digits[data[i] >> 4];
    out[2 * i + 1] = digits[data[i] & 0xf];
  }
  return out;
}
}  // namespace

std::string hmac_sha256_hex(std::string_view key, std::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), digest, &length);
  return to_hex(digest, length);
}

std::string random_hex(std::size_t bytes) {
  std::string raw(bytes, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(raw.data()), static_cast<int>(bytes)) != 1) {
    // RAND_bytes only fails when the OS entropy source is broken; fall back
    // to /dev/urandom rather than hand out a predictable nonce.
    std::ifstream urandom("/dev/urandom", std::ios::binary);
    urandom.read(raw.data(), static_cast<std::streamsize>(bytes));
  }
  return to_hex(reinterpret_cast<const unsigned char*>(raw.data()), bytes);
}

std::string signing_input(std::string_view nonce, std::uint64_t counter, std::string_view body) {
  std::string input;
  input.reserve(nonce.size() + body.size() + 24);
  input.append(nonce).append("\n").append(std::to_string(counter)).append("\n").append(body);
  return input;
}

std::string make_envelope(std::string_view token, std::string_view nonce, std::uint64_t counter,
                          std::string_view body) {
  nlohmann::json envelope = {{"counter", counter},
                             {"mac", hmac_sha256_hex(token, signing_input(nonce, counter, body))},
                             {"body", std::string(body)}};
  return envelope.dump();
}

Result<nlohmann::json> Authenticator::verify(std::string_view line) {
  if (line.size() > kMaxRequestBytes)
    return invalid_input(fmt::format("request of {} bytes exceeds the limit of {} bytes", line.size(),
                                     kMaxRequestBytes));
  auto envelope = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (envelope.is_discarded())
    return invalid_input("request is not valid JSON (truncated or garbage)");
  if (!envelope.is_object()) return invalid_input("request must be a JSON object envelope");
  auto counter_it = envelope.find("counter");
  auto mac_it = envelope.find("mac");
  auto body_it = envelope.find("body");
  if (mac_it == envelope.end() || counter_it == envelope.end())
    return Error{ErrorCode::kUnauthenticated, "request is not authenticated (needs \"counter\" and \"mac\")"};
  if (!counter_it->is_number_unsigned() || !mac_it->is_string())
    return Error{ErrorCode::kUnauthenticated,
                 "request authentication is malformed (\"counter\" must be an unsigned integer, \"mac\" a hex string)"};
  if (body_it == envelope.end() || !body_it->is_string())
    return invalid_input("request envelope needs a string field \"body\"");
  const auto counter = counter_it->get<std::uint64_t>();
  const auto& body_text = body_it->get_ref<const std::string&>();
  const auto& mac = mac_it->get_ref<const std::string&>();
  const auto expected = hmac_sha256_hex(token_, signing_input(nonce_, counter, body_text));
  if (mac.size() != expected.size() || CRYPTO_memcmp(mac.data(), expected.data(), expected.size()) != 0)
    return Error{ErrorCode::kUnauthenticated, "request signature does not match (wrong token or altered request)"};
  if (counter <= last_counter_)
    return Error{ErrorCode::kUnauthenticated,
                 fmt::format("replayed request: counter {} is not above the last accepted counter {}", counter,
                             last_counter_)};
  auto body = nlohmann::json::parse(body_text, nullptr, /*allow_exceptions=*/false);
  if (body.is_discarded() || !body.is_object()) {
    last_counter_ = counter;  // authentic, so the counter is spent even if the body is bad
    return invalid_input("request body is not a JSON object");
  }
  last_counter_ = counter;
  return body;
}

Result<std::string> read_token_file(const std::filesystem::path& path, bool check_permissions) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0)
    return io_error(fmt::format("token file {}: cannot stat: {}", path.string(), std::strerror(errno)));
  if (check_permissions && (st.st_mode & 077) != 0)
    return invalid_input(fmt::format(
        "token file {} is accessible by group or other (mode {:o}); run: chmod 600 {}", path.string(),
        st.st_mode & 0777, path.string()));
  std::ifstream in(path, std::ios::binary);
  if (!in) return io_error(fmt::format("token file {}: cannot open for reading", path.string()));
  std::stringstream buffer;
  buffer << in.rdbuf();
  std::string token = buffer.str();
  while (!token.empty() && std::isspace(static_cast<unsigned char>(token.back()))) token.pop_back();
  if (token.empty()) return invalid_input(fmt::format("token file {} is empty", path.string()));
  return token;
}

}  // namespace faultline::agent::protocol
