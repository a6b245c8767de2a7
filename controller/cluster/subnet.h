// IPv4 subnets for cluster addressing.
//
// Contract: parse_subnet("198.18.0.0/24") gives the network and prefix
// (host bits must be zero); host(i) is the i-th address (1-based) and
// gateway() the last usable one (where the local provider's bridge sits).
// Prefixes /8../24 are accepted; nodes get hosts 1..N and N must leave room
// for the gateway.
#pragma once

#include <cstdint>
#include <string>

#include "common/result.h"

namespace faultline::controller {

struct Subnet {
  std::uint32_t network = 0;
  int prefix = 24;
  std::uint32_t size() const { return 1u << (32 - prefix); }
  std::string host(std::uint32_t i) const;
  std::string gateway() const { return host(size() - 2); }
  bool contains(const std::string& address) const;
  std::string to_string() const;
};

Result<Subnet> parse_subnet(const std::string& text);
std::string ipv4_to_string(std::uint32_t address);
Result<std::uint32_t> parse_ipv4(const std::string& text);

}  // namespace faultline::controller
