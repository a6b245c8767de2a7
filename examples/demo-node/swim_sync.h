// SwimSync: the demo node's state sync with members it holds suspect or
// dead, the effect memberlist gets from its push-pull exchange.
//
// Contract: sync_pings() returns a ping with seq 0 (a seq no probe uses) to
// every peer the node holds suspect or dead; the service sends them every
// rejoin interval. answer_sync() is called with the replies SwimNode::receive
// produced for a received message: when that message is such a ping, the
// ack to its sender also carries alive{self, own incarnation}. So a member
// that holds this node suspect at an incarnation the node has already
// refuted (the refutation's gossip was used up before it arrived: a pause,
// a partition) learns the newer incarnation within one rejoin interval,
// instead of waiting out the suspicion timer (up to 16.8 s at n = 5 with
// the demo's defaults) and then a rejoin. Neither function changes the
// SWIM state machine: an unreachable or stopped member never answers, and
// an alive{} at an incarnation not above the known one changes nothing
// (so the bug_suspect_bumps_incarnation demo bug still shows).
#pragma once

#include <string>
#include <vector>

#include "checkers/reference/swim.h"

namespace faultline::demo {

std::vector<reference::Message> sync_pings(const reference::SwimNode& node, const std::vector<std::string>& peers);

void answer_sync(const reference::Message& received, const reference::SwimNode& node,
                 std::vector<reference::Message>& replies);

}  // namespace faultline::demo
