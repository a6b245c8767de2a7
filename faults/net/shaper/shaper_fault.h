// ShaperFault: one delay/reorder/duplicate/corrupt fault as the shaper runs it.
//
// Contract: parse() checks a FaultSpec's parameters with netem's meaning and
// names the field at fault; to_json()/from_json() round-trip it through the
// heal record. The parameters (netem's, same names as the netem mechanism):
//   delay:     "delay" (duration, required), "jitter" (duration, default 0),
//              "correlation" (percent), "distribution" (uniform|normal|pareto|
//              paretonormal; default uniform, netem's default)
//   reorder:   "percent" (sent at once), "correlation", "delay" (the rest are
//              delayed by it; default 10ms as in the netem mechanism, > 0),
//              "gap" (netem's gap, default 1; 0 means 1 as tc does)
//   duplicate: "percent", "correlation"
//   corrupt:   "percent", "correlation", "recompute_checksum" (default true:
//              the receiver sees corrupted data; false: netem's stale checksum)
// Percents are numbers in [0, 100] or strings like "25%". All kinds accept
// "destinations" (addresses or CIDRs; default every destination),
// "interface" (outgoing interface; default the host's default interface) and
// "direction" (egress, the default; ingress: the fault acts on packets the
// host receives: "interface" is then the incoming interface and
// "destinations" the packets' sources).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/result.h"
#include "common/units.h"
#include "faults/fault_spec.h"
#include "faults/net/shaper/netem_random.h"

namespace faultline::faults::shaper {

// An IPv4 or IPv6 prefix.
struct Prefix {
  int family = 4;
  std::uint8_t bytes[16] = {};
  int length = 32;

  static Result<Prefix> parse(const std::string& text);
  bool contains(int family, const std::uint8_t* address) const;
  std::string to_string() const;
};

struct ShaperFault {
  std::string kind;  // delay | reorder | duplicate | corrupt
  Nanos delay = 0;
  Nanos jitter = 0;
  double delay_correlation = 0;
  Distribution distribution = Distribution::kUniform;
  double percent = 0;
  double correlation = 0;
  std::uint32_t gap = 1;
  bool recompute_checksum = true;
  std::vector<Prefix> destinations;  // empty = all
  std::string interface;             // empty = every interface but loopback
  bool ingress = false;              // incoming packets (peers = sources), not outgoing

  static Result<ShaperFault> parse(const FaultSpec& spec, const std::string& default_interface);
  static Result<ShaperFault> from_json(const nlohmann::json& json);
  nlohmann::json to_json() const;
  std::string describe() const;

  // Whether the packet's peer (its destination; with ingress its source) is
  // one of "destinations".
  bool matches_destination(int family, const std::uint8_t* address) const;
};

}  // namespace faultline::faults::shaper
