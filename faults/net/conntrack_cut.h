// cut_conntrack_flows: delete the conntrack entries of flows to or from the
// given IPv4 prefixes, so a partition also cuts established connections.
//
// Contract: one netlink dump of the conntrack table (libnetfilter_conntrack)
// of the calling thread's network namespace, then one delete per matching
// entry (original or reply tuple with source or destination in a prefix).
// Returns the number of entries deleted. When the kernel has no conntrack
// (the netlink subsystem is absent) it returns 0: there is nothing to cut.
#pragma once

#include <vector>

#include "common/result.h"
#include "faults/net/net_params.h"

namespace faultline::faults::net {

Result<int> cut_conntrack_flows(const std::vector<Ipv4Prefix>& prefixes);

}  // namespace faultline::faults::net
