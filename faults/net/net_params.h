// Parameters shared by the network mechanisms: addresses, percents, rates,
// the interface a fault acts on, and the id that tags what a fault installs.
//
// Contract: every parser returns an kInvalidInput Error naming the spec field
// and the offending value; nothing here touches the host except
// resolve_interface (reads the routing table / interface list of the calling
// thread's network namespace).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/result.h"
#include "faults/fault_spec.h"
#include "faults/mechanism.h"

namespace faultline::faults::net {

// An IPv4 address or CIDR block ("198.18.0.2", "198.18.0.0/28"); the address
// in host byte order. text() is the canonical "a.b.c.d" or "a.b.c.d/n".
struct Ipv4Prefix {
  std::uint32_t address = 0;  // host order, masked to the prefix
  int length = 32;
  std::string text() const;
  std::uint32_t mask() const { return length == 0 ? 0 : ~std::uint32_t{0} << (32 - length); }
};
Result<Ipv4Prefix> parse_ipv4_prefix(const std::string& text);

// The array field `field` of the spec as prefixes; `required` makes a missing
// or empty array an error.
Result<std::vector<Ipv4Prefix>> parse_prefix_list(const nlohmann::json& spec, const std::string& field,
                                                  bool required);

// A percentage field: number (30, 0.5) or string ("30%"), 0..100. Missing -> fallback.
Result<double> parse_percent(const nlohmann::json& spec, const std::string& field, double fallback);

// A duration field ("50ms") in microseconds. Missing -> fallback.
Result<std::int64_t> parse_duration_us(const nlohmann::json& spec, const std::string& field, std::int64_t fallback);

// A rate as tc writes it: "1mbit", "512kbit", "10gbit", "100bit", "1mbps"
// (bytes), "1.5mbit". Returns bits per second.
Result<std::uint64_t> parse_rate(const std::string& text);

// The interface a fault acts on: spec "interface", else host.default_interface,
// else the interface of the default route, else the only non-loopback
// interface that is up. Checks the interface exists.
Result<std::string> resolve_interface(const FaultSpec& spec, const HostContext& host);

// "198.18.0.2, 198.18.0.3" for describe().
std::string join_prefixes(const std::vector<Ipv4Prefix>& prefixes);
std::vector<std::string> prefix_texts(const std::vector<Ipv4Prefix>& prefixes);
Result<std::vector<Ipv4Prefix>> prefixes_from_record(const nlohmann::json& record, const std::string& field);

}  // namespace faultline::faults::net
