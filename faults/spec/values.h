// Value parsers the schema and the mechanisms share (one definition each).
//
// Contract: pure functions; errors are kInvalidInput with the offending text.
#pragma once

#include <cstdint>
#include <string>
#include <utility>

#include <nlohmann/json.hpp>

#include "common/result.h"

namespace faultline::faults::spec {

// A rate as tc writes it: "1mbit", "512kbit", "10gbit", "100bit", "1mbps"
// (bytes), "1.5mbit". Bits per second, 8bit..32gbit.
Result<std::uint64_t> parse_rate(const std::string& text);

// A percentage: a number (30, 0.5) or a string ("30%"), 0..100.
Result<double> parse_percent_value(const nlohmann::json& value);

// "8080" or "8000-8100": the inclusive range, ports 1..65535.
Result<std::pair<std::uint16_t, std::uint16_t>> parse_port_range(const std::string& text);

// "198.18.0.2" or "198.18.0.0/24".
bool is_ipv4_prefix(const std::string& text);

}  // namespace faultline::faults::spec
