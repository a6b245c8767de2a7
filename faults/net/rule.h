// Rule: one firewall rule of a network fault, as data. Every mechanism that
// drops, accepts or queues packets builds Rules; IptablesChains
// (iptables_chain.h) renders them two ways from this one model: as the words
// of an iptables-restore batch line (rule_words) and as an nf_tables rule in
// a netlink transaction (nft_netlink.h, NftBatch::new_rule). Nothing parses
// iptables words back into rules.
//
// Contract:
//  - A Rule matches packets at one hook: INPUT (what reaches us) or OUTPUT
//    (what we send). Its interface is the input interface at INPUT (-i), the
//    output interface at OUTPUT (-o); an exact name, optionally negated.
//  - The fields are ANDed. `ports` (multiport --ports: source OR destination
//    port in one of the ranges, at most 15 port slots, a range taking two)
//    and `source_port`/`destination_port` need protocol tcp or udp; `syn_only`
//    needs tcp. `new_only` is conntrack state NEW.
//  - rule_words renders, in this fixed order: interface, -s, -d, set match,
//    protocol, multiport, --sport, --dport, --syn, conntrack, statistic, then
//    the target — the order iptables-save prints them in, so a rule reads
//    back as it was written. Addresses print as Ipv4Prefix::text() (a host
//    without /32); the probability with 6 decimals, as the nf_tables
//    rendering rounds it too (probability_text).
//  - check() says why a rule cannot be rendered (a port without a protocol,
//    too many multiport slots, an empty or too long interface name...);
//    renderers assume a checked rule.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/result.h"
#include "faults/net/net_params.h"

namespace faultline::faults::net {

enum class Hook { kInput, kOutput };

enum class Protocol { kAny, kTcp, kUdp, kNotTcp };

// Multiport's limit on port slots (XT_MULTI_PORTS); a range uses two.
inline constexpr std::size_t kMultiportSlots = 15;

struct Rule {
  enum class Target { kDrop, kAccept, kReturn, kJump, kNfqueue };
  struct SetMatch {
    std::string name{};  // an ip set (ipset.h)
    bool source = false;  // match the source address (else the destination)
  };

  Hook hook = Hook::kOutput;
  std::string interface{};  // -i at INPUT, -o at OUTPUT; empty: any
  bool interface_negated = false;
  std::optional<Ipv4Prefix> source{}, destination{};
  std::optional<SetMatch> set{};
  Protocol protocol = Protocol::kAny;
  std::vector<std::pair<std::uint16_t, std::uint16_t>> ports{};  // multiport: either port in a range (inclusive)
  std::optional<std::uint16_t> source_port{}, destination_port{};
  bool syn_only = false;  // TCP connection attempts only (--syn)
  bool new_only = false;  // conntrack state NEW only
  std::optional<double> probability{};  // statistic, mode random, 0..1

  Target target = Target::kDrop;
  std::string jump{};  // kJump: the chain
  std::uint16_t queue = 0;  // kNfqueue: --queue-num
  bool queue_bypass = false;  // kNfqueue: --queue-bypass

  Result<void> check() const;
};

// The iptables match and target words, e.g. {"-d", "198.18.0.2", "-j", "DROP"}.
std::vector<std::string> rule_words(const Rule& rule);
// The match words alone (no target).
std::vector<std::string> match_words(const Rule& rule);
// The probability as rendered: "0.300000".
std::string probability_text(double probability);

}  // namespace faultline::faults::net
