// ipset: faultline's own IP sets (the kernel's ip_set, as the `ipset` tool
// manages them), spoken over netlink from this process, no program started.
// A partition with many peers matches them with one set per fault, so it
// needs one iptables rule per direction instead of one per peer
// (partition.cpp); iptables shows the rule as `-m set --match-set NAME src`.
//
// Contract:
//  - Acts on the calling thread's network namespace (sets are per network
//    namespace). Needs CAP_NET_ADMIN. Every call answers within ~2 s or fails.
//  - ipset_fill(name, prefixes) leaves a hash:net set (family inet) `name`
//    holding exactly `prefixes`: created if missing; if it exists, a
//    temporary set is filled and swapped in atomically (no moment with a
//    partial set) and then destroyed. Prefixes of length 0 cannot be stored
//    (hash:net refuses /0): the caller keeps per-peer rules for those.
//    On failure nothing of ours is left that was not there before, except
//    when the swap itself failed (then `name` is as it was).
//  - ipset_index(name): the kernel's index of the set (what an xt "set" match
//    carries; iptables looks it up the same way), or an error if missing.
//  - ipset_destroy(name): removes the set; a missing set is success
//    (idempotent). A set still referenced by a rule whose deletion the kernel
//    is finishing (nf_tables destroys deleted rules after a grace period) is
//    retried for up to ~2 s, then reported.
//  - ipset_exists(name): whether the set is there (tests, diagnostics).
//  - Errors carry the kernel's reason; kUnavailable when this kernel has no
//    ip_set (or no hash:net), so callers can fall back to per-peer rules.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/result.h"
#include "faults/net/net_params.h"

namespace faultline::faults::net {

// Longest set name the kernel accepts (IPSET_MAXNAMELEN - 1).
inline constexpr std::size_t kIpsetMaxName = 31;

Result<void> ipset_fill(const std::string& name, const std::vector<Ipv4Prefix>& prefixes);
Result<std::uint16_t> ipset_index(const std::string& name);
Result<void> ipset_destroy(const std::string& name);
bool ipset_exists(const std::string& name);

}  // namespace faultline::faults::net
