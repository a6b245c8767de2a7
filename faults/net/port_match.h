// PortMatch: a fault's "ports" and "protocol" fields as iptables matches, so
// a network fault can act on one service's traffic only (cut etcd's peer port
// 2380 and keep its clients on 2379).
//
// Contract: parse() reads "ports" (a port, a "LOW-HIGH" range, or a list of
// them; at most 15 entries, multiport's limit) and "protocol" (tcp, udp, or
// both — the default when ports are given). Without "ports" and "protocol"
// the match is empty: every packet. to_json()/from_json() round-trip it
// through a heal record. alternatives() gives, per protocol, a Rule (rule.h)
// with only its protocol and ports set ("-p tcp -m multiport --ports
// 2380,8000:8100"), for the caller to complete: a rule is needed per
// alternative, and one alternative of protocol kAny means "match everything". A
// packet matches when its source OR destination port is listed, so both
// directions of the service's connections are caught. With "protocol" but no
// ports, every packet of that protocol matches (ICMP never does).
#pragma once

#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/result.h"
#include "faults/net/rule.h"

namespace faultline::faults::net {

struct PortMatch {
  std::vector<std::pair<std::uint16_t, std::uint16_t>> ports;  // inclusive ranges
  std::vector<std::string> protocols;                           // "tcp", "udp"; empty: no protocol filter

  static Result<PortMatch> parse(const nlohmann::json& spec);
  static Result<PortMatch> from_json(const nlohmann::json& record);  // reads record["ports"]/["protocol"]
  void to_json(nlohmann::json& record) const;                       // writes them when set
  bool empty() const { return ports.empty() && protocols.empty(); }

  std::vector<Rule> alternatives() const;
  std::string describe() const;  // " on tcp/udp ports 2380, 8000-8100", or ""
};

}  // namespace faultline::faults::net
