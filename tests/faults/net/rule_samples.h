// Rules the tests build: the shapes the network mechanisms produce
// (partition, loss, blackhole-out, shaper), with the iptables words each
// rendered to before rules were data.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "faults/net/net_params.h"
#include "faults/net/rule.h"

namespace faultline::faults::net::samples {

inline Ipv4Prefix ip(const std::string& text) { return parse_ipv4_prefix(text).value(); }

inline Rule drop_from(const std::string& peer) {
  return Rule{.hook = Hook::kInput, .source = ip(peer), .target = Rule::Target::kDrop};
}
inline Rule drop_to(const std::string& peer) {
  return Rule{.hook = Hook::kOutput, .destination = ip(peer), .target = Rule::Target::kDrop};
}

// Each rule beside the words the mechanisms used to write for it.
inline std::vector<std::pair<Rule, std::vector<std::string>>> rendered_before() {
  using T = Rule::Target;
  const std::vector<std::pair<std::uint16_t, std::uint16_t>> etcd = {{2380, 2380}, {8000, 8100}};
  return {
      {drop_from("198.18.0.2"), {"-s", "198.18.0.2", "-j", "DROP"}},
      {drop_to("10.21.16.0/20"), {"-d", "10.21.16.0/20", "-j", "DROP"}},
      // partition keep_established: TCP SYNs, and conntrack NEW for the rest
      {Rule{.hook = Hook::kInput, .source = ip("198.18.0.2"), .protocol = Protocol::kTcp, .syn_only = true},
       {"-s", "198.18.0.2", "-p", "tcp", "--syn", "-j", "DROP"}},
      {Rule{.hook = Hook::kOutput, .destination = ip("198.18.0.2"), .protocol = Protocol::kNotTcp, .new_only = true},
       {"-d", "198.18.0.2", "!", "-p", "tcp", "-m", "conntrack", "--ctstate", "NEW", "-j", "DROP"}},
      // partition ports (and keep_established on them), with a peer set
      {Rule{.hook = Hook::kInput, .set = Rule::SetMatch{"faultline-p1", true}, .protocol = Protocol::kTcp,
            .ports = etcd, .syn_only = true},
       {"-m", "set", "--match-set", "faultline-p1", "src", "-p", "tcp", "-m", "multiport", "--ports",
        "2380,8000:8100", "--syn", "-j", "DROP"}},
      {Rule{.hook = Hook::kOutput, .set = Rule::SetMatch{"faultline-p1", false}, .protocol = Protocol::kUdp,
            .ports = etcd, .new_only = true},
       {"-m", "set", "--match-set", "faultline-p1", "dst", "-p", "udp", "-m", "multiport", "--ports",
        "2380,8000:8100", "-m", "conntrack", "--ctstate", "NEW", "-j", "DROP"}},
      // loss
      {Rule{.hook = Hook::kOutput, .interface = "lo", .interface_negated = true, .destination = ip("198.18.0.3"),
            .protocol = Protocol::kTcp, .ports = {{2380, 2380}}, .probability = 0.3},
       {"!", "-o", "lo", "-d", "198.18.0.3", "-p", "tcp", "-m", "multiport", "--ports", "2380", "-m", "statistic",
        "--mode", "random", "--probability", "0.300000", "-j", "DROP"}},
      // blackhole-out on one interface
      {Rule{.hook = Hook::kOutput, .interface = "eth0"}, {"-o", "eth0", "-j", "DROP"}},
      // exemptions
      {Rule{.hook = Hook::kInput, .destination = ip("127.0.0.1"), .protocol = Protocol::kTcp,
            .destination_port = 7070, .target = T::kReturn},
       {"-d", "127.0.0.1", "-p", "tcp", "--dport", "7070", "-j", "RETURN"}},
      {Rule{.hook = Hook::kOutput, .protocol = Protocol::kTcp, .source_port = 7070, .target = T::kReturn},
       {"-p", "tcp", "--sport", "7070", "-j", "RETURN"}},
      // shaper
      {Rule{.hook = Hook::kOutput, .interface = "eth0", .destination = ip("198.51.100.7"), .target = T::kNfqueue,
            .queue = 17921, .queue_bypass = true},
       {"-o", "eth0", "-d", "198.51.100.7", "-j", "NFQUEUE", "--queue-num", "17921", "--queue-bypass"}},
  };
}

}  // namespace faultline::faults::net::samples
