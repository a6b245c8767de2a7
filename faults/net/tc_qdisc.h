// Our qdiscs, through libnl-route-3 (never by running `tc`).
//
// Contract (docs/design.md "Safety rules"):
//  - Everything we install hangs under a root qdisc with handle 0xfa17: (the
//    leaf under a classful root gets 0xfa18:). install_qdisc() refuses to
//    replace a root qdisc someone else installed (any handle other than 0:,
//    the kernel's default, or ours), and refuses when one of our faults already
//    owns the interface's root; the error names the interface, kind and handle.
//  - Without destinations the leaf (netem, tbf) IS the root. With destinations
//    the root is classful: prio (bands 4, normal traffic in bands 0..2, ours in
//    band 4) where the kernel has sch_prio, else htb (unclassified traffic goes
//    unshaped through htb's direct queue, ours through class fa17:1), and one
//    u32 filter per destination (match ip dst; with match_source, ip src: on
//    an IFB device, whose traffic is what the host receives, the peers are
//    the sources) sends packets to the leaf, as Jepsen's packet nemesis does
//    with prio.
//  - remove_our_qdisc() deletes the root qdisc (and with it the classes,
//    filters and leaf) only if its handle is 0xfa17: and its kind is one of
//    `kinds`; anything else is left alone. Removing what is not there succeeds.
//  - kernel_supports_qdisc() tries the kind on the loopback of a throwaway
//    network namespace (a thread that unshares its netns), so it changes
//    nothing on the host; results are cached per process.
// All calls act in the calling thread's network namespace.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "common/result.h"
#include "faults/net/net_params.h"

struct rtnl_qdisc;

namespace faultline::faults::net {

constexpr std::uint32_t kOurMajor = 0xfa17;
constexpr std::uint32_t kOurLeafMajor = 0xfa18;

// Sets kind-specific parameters on a qdisc whose kind is already set.
using ConfigureQdisc = std::function<Result<void>(rtnl_qdisc*)>;

struct RootQdisc {
  bool present = false;
  std::uint32_t handle = 0;
  std::string kind;
};

Result<RootQdisc> read_root_qdisc(const std::string& interface);

// Installs leaf `kind` configured by `configure` (see contract). Returns the
// root kind used ("netem", "tbf", "prio" or "htb").
Result<std::string> install_qdisc(const std::string& interface, const std::string& kind,
                                  const ConfigureQdisc& configure, const std::vector<Ipv4Prefix>& destinations,
                                  bool match_source = false);

Result<void> remove_our_qdisc(const std::string& interface, const std::vector<std::string>& kinds);

// Whether the kernel knows qdisc `kind` (netem, tbf, prio, htb). The Error's
// message says why not, e.g. "sch_netem not available in this kernel".
Result<void> kernel_supports_qdisc(const std::string& kind);

// "sch_<kind> not available in this kernel (...)" when a netlink error means
// the kind is unknown, else "<what>: <netlink error>".
Error qdisc_error(const std::string& kind, const std::string& what, int nl_error);

}  // namespace faultline::faults::net
