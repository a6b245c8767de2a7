#include "agent/core/session.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "agent/protocol/messages.h"

namespace faultline::agent {

Session::Session(std::string token, std::string peer, Reply reply, Submit submit, std::size_t max_line)
    : auth_(std::move(token), protocol::random_hex(16)),
      framer_(
          max_line, [this](std::string_view line) { on_line(line); },
          [this, max_line](std::size_t seen) {
            refuse(invalid_input(fmt::format(
                "request too large: more than {} bytes without a newline (limit {} bytes); discarded", seen, max_line)));
          }),
      peer_(std::move(peer)),
      reply_(std::move(reply)),
      submit_(std::move(submit)) {}

std::string Session::greeting() const {
  return nlohmann::json{{"type", "challenge"}, {"nonce", auth_.nonce()}, {"version", protocol::kProtocolVersion}}.dump();
}

void Session::feed(std::string_view bytes) { framer_.feed(bytes); }

void Session::on_line(std::string_view line) {
  if (line.empty()) return;  // blank keep-alive lines are ignored
  auto body = auth_.verify(line);
  if (!body) {
    refuse(body.error());
    return;
  }
  ++accepted_;
  submit_(std::move(*body));
}

void Session::refuse(const Error& error) {
  ++refused_;
  spdlog::warn("refused request from {}: {} ({})", peer_, error.message, protocol::error_code_name(error.code));
  reply_(protocol::error_response(nullptr, error).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

}  // namespace faultline::agent
