// parse_host_port: "HOST:PORT" as users write it on command lines and in
// suites ("10.0.0.1:7070", "node1:2379", "[::1]:7070").
//
// Contract: the port is the digits after the last ':' (1-5 digits, at most
// 65535; 0 only with allow_port_zero, "pick one"); the host is what comes
// before, with IPv6 brackets removed, and must not be empty. Anything else
// is a kInvalidInput Error quoting the text; callers add which flag or
// field it came from.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/result.h"

namespace faultline {

struct HostPort {
  std::string host;
  std::uint16_t port = 0;
};

Result<HostPort> parse_host_port(std::string_view text, bool allow_port_zero = false);

}  // namespace faultline
