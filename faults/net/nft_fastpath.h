// nft_fast_apply / nft_fast_heal: the apply and heal of IptablesChains done
// in-process over nf_tables netlink (nft_netlink.h), where iptables itself
// runs on the nf_tables backend. No program is started and the table is
// never listed whole: only our own chains and the base chains that jump to
// them are read.
//
// Contract:
//  - nft_fast_apply produces exactly what the iptables-restore batch would
//    (same chains, "faultline:jump" jumps inserted first in INPUT/OUTPUT,
//    RETURN exemptions first in our chain, rules tagged with the comment
//    "faultline:<id>" built as iptables-nft builds them, so iptables-save
//    shows them — the comment as user data, printed after the other matches
//    — and iptables-restore -D removes them), this id's previous rules
//    deleted, all in ONE nf_tables transaction: all or nothing.
//    It renders every Rule (rule.h) the batch does, from the same Rule
//    (NftBatch::new_rule), except an interface wildcard ('+'); a set match
//    needs an existing set (ipset.h). A missing table or built-in chain is
//    made in the same transaction, as iptables-nft makes it on first use (a
//    fresh host, or one whose `iptables -X` removed the empty built-ins).
//  - nft_fast_heal deletes exactly the rules whose comment is
//    "faultline:<id>" from our two chains, and, when one of our chains is
//    then empty, the INPUT/OUTPUT rules jumping to it and the chain — in ONE
//    transaction. Healing an id with no rules succeeds and changes nothing
//    (an empty chain of ours is still removed, as the batch heal does).
//  - Both return an Error, having changed nothing, saying why they cannot
//    (legacy backend, a rule they cannot render, a base chain of a table
//    whose built-ins they do not know (filter and mangle they make), the
//    kernel refused, e.g. a jump to our chain from a chain we do not read):
//    the caller then uses iptables-restore.
//  - The caller holds IptablesChains' locks. Acts on the calling thread's
//    network namespace.
#pragma once

#include <string_view>
#include <vector>

#include "common/result.h"
#include "faults/net/iptables_chain.h"
#include "faults/net/netlink/socket.h"
#include "faults/net/rule.h"

namespace faultline::faults::net {

// `socket`: the caller's, made before it took its locks and closed after it
// released them (a close can wait for an RCU grace period, nft_netlink.h).
Result<void> nft_fast_apply(const IptablesOptions& options, std::string_view fault_id, const std::vector<Rule>& rules,
                            const std::vector<Rule>& exemptions, netlink::Socket& socket);

Result<void> nft_fast_heal(const IptablesOptions& options, std::string_view fault_id, netlink::Socket& socket);

}  // namespace faultline::faults::net
