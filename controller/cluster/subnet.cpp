#include "controller/cluster/subnet.h"

#include <arpa/inet.h>

#include <fmt/format.h>

namespace faultline::controller {

std::string ipv4_to_string(std::uint32_t a) {
  return fmt::format("{}.{}.{}.{}", a >> 24, (a >> 16) & 255, (a >> 8) & 255, a & 255);
}

Result<std::uint32_t> parse_ipv4(const std::string& text) {
  in_addr addr{};
  if (::inet_pton(AF_INET, text.c_str(), &addr) != 1) return invalid_input(fmt::format("'{}' is not an IPv4 address", text));
  return ntohl(addr.s_addr);
}

std::string Subnet::host(std::uint32_t i) const { return ipv4_to_string(network + i); }

bool Subnet::contains(const std::string& address) const {
  auto a = parse_ipv4(address);
  if (!a) return false;
  std::uint32_t mask = prefix == 0 ? 0 : ~0u << (32 - prefix);
  return (*a & mask) == network;
}

std::string Subnet::to_string() const { return fmt::format("{}/{}", ipv4_to_string(network), prefix); }

Result<Subnet> parse_subnet(const std::string& text) {
  auto slash = text.find('/');
  if (slash == std::string::npos) return invalid_input(fmt::format("subnet '{}': expected ADDRESS/PREFIX", text));
  auto address = parse_ipv4(text.substr(0, slash));
  if (!address) return address.error();
  int prefix = 0;
  try {
    prefix = std::stoi(text.substr(slash + 1));
  } catch (...) {
    return invalid_input(fmt::format("subnet '{}': bad prefix", text));
  }
  if (prefix < 8 || prefix > 24) return invalid_input(fmt::format("subnet '{}': prefix must be /8 to /24", text));
  std::uint32_t mask = ~0u << (32 - prefix);
  if ((*address & ~mask) != 0) return invalid_input(fmt::format("subnet '{}': host bits are set", text));
  return Subnet{*address, prefix};
}

}  // namespace faultline::controller
