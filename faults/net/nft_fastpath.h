// nft_fast_apply: the apply of IptablesChains done in-process over nf_tables
// netlink (libnftables, loaded with dlopen), where iptables itself runs on the
// nf_tables backend.
//
// Contract: produces exactly what the iptables-restore batch would (same
// chains, jumps, RETURN exemptions first, rules tagged with the comment
// "faultline:<id>" — iptables-save shows them as -m comment rules, and heal's
// iptables-restore -D removes them), in ONE nf_tables transaction: all or
// nothing. It only handles the rule vocabulary of partition and blackhole-out
// (-s/-d ADDR, [!] -o/-i IF, -p tcp|udp --dport/--sport N, -j DROP|RETURN|
// ACCEPT) and never creates a base chain that exists; it returns false
// (changing nothing) when anything is outside that, when libnftables is
// missing or iptables uses the legacy backend, so the caller falls back to
// iptables-restore.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "faults/net/iptables_chain.h"

namespace faultline::faults::net {

// The nft expression words for one rule's iptables args, or false if outside the vocabulary.
bool translate_to_nft(const std::vector<std::string>& args, std::string* out);

bool nft_fast_apply(const IptablesOptions& options, std::string_view fault_id, const std::vector<IptablesRule>& rules,
                    const std::vector<IptablesRule>& exemptions, std::string* why_not);

}  // namespace faultline::faults::net
