// wait_for_tcp: has a node's port come up yet?
//
// Contract: returns true as soon as host:port (an IPv4 address) accepts a
// TCP connection, trying every 50 ms (each attempt bounded to 500 ms), and
// false when `timeout` passes, `interrupted()` turns true, or the address is
// not IPv4. The connection is closed at once; nothing is sent.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "common/units.h"

namespace faultline::controller {

bool wait_for_tcp(const std::string& host, std::uint16_t port, Nanos timeout, const std::function<bool()>& interrupted = {});

}  // namespace faultline::controller
