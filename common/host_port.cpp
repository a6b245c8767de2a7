#include "common/host_port.h"

#include <fmt/format.h>

namespace faultline {

Result<HostPort> parse_host_port(std::string_view text, bool allow_port_zero) {
  const auto colon = text.rfind(':');
  if (colon == std::string_view::npos || colon == 0)
    return invalid_input(fmt::format("'{}': expected HOST:PORT", text));
  HostPort parsed;
  parsed.host = std::string(text.substr(0, colon));
  if (parsed.host.size() >= 2 && parsed.host.front() == '[' && parsed.host.back() == ']')
    parsed.host = parsed.host.substr(1, parsed.host.size() - 2);
  const auto port_text = text.substr(colon + 1);
  const unsigned long lowest = allow_port_zero ? 0 : 1;
  auto bad_port = [&] {
    return invalid_input(fmt::format("'{}': the port must be a number {}-65535", text, lowest));
  };
  if (parsed.host.empty()) return invalid_input(fmt::format("'{}': expected HOST:PORT", text));
  if (port_text.empty() || port_text.size() > 5 || port_text.find_first_not_of("0123456789") != std::string_view::npos)
    return bad_port();
  const unsigned long port = std::stoul(std::string(port_text));
  if (port < lowest || port > 65535) return bad_port();
  parsed.port = static_cast<std::uint16_t>(port);
  return parsed;
}

}  // namespace faultline
