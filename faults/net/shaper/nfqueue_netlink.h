// nfqueue_fast_apply: the shaper's iptables rules (mangle FAULTLINE-OUT,
// -j NFQUEUE) put in effect over nf_tables netlink from this process, with no
// program started — the fork/exec of iptables-save + iptables-restore was
// most of the time from request to delay in effect.
//
// Contract:
//  - Produces exactly the rules the iptables-restore batch of IptablesChains
//    would (faults/net/iptables_chain.h): the same nf_tables expressions
//    iptables-nft 1.8 builds (xt "comment" match carrying
//    "faultline:<id>", counter, xt NFQUEUE rev 3 target), the RETURN
//    exemptions inserted first, the "faultline:jump" rule inserted first in
//    mangle OUTPUT (INPUT) when missing, this id's previous rules deleted — all in ONE
//    nf_tables transaction: all or nothing. iptables-save shows them as it
//    shows iptables-restore's, so IptablesChains::heal removes them.
//  - Vocabulary (net::Rule, faults/net/rule.h, rendered by
//    faults/net/nft_netlink.h): rules `[!] -o IF [-d A.B.C.D/32] -j NFQUEUE
//    --queue-num N [--queue-bypass]` and exemptions `[-s A.B.C.D/32]
//    [-p tcp --sport N] -j RETURN` on the OUTPUT hook (FAULTLINE-OUT), or
//    their mirror image on INPUT (FAULTLINE-IN: `[!] -i IF [-s A]`,
//    exemptions `[-d A] [-p tcp --dport N]`), all rules of a fault on one
//    hook. A missing mangle table or built-in chain is made in the same
//    transaction, as iptables-nft makes it on first use. Outside the
//    vocabulary, when iptables is not on the nf_tables backend, or when the
//    kernel refuses the batch, it returns an Error saying why, having changed
//    nothing: the caller uses iptables-restore.
//  - Serialised with IptablesChains by the same flock
//    (/run/faultline-iptables.lock). Acts on the calling thread's namespace.
#pragma once

#include <string_view>
#include <vector>

#include "common/result.h"
#include "faults/net/iptables_chain.h"
#include "faults/net/rule.h"

namespace faultline::faults::shaper {

Result<void> nfqueue_fast_apply(const net::IptablesOptions& options, std::string_view fault_id,
                                const std::vector<net::Rule>& rules, const std::vector<net::Rule>& exemptions);

}  // namespace faultline::faults::shaper
