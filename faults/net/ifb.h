// Ingress redirect: what a host receives on an interface, sent through an IFB
// device so that an egress qdisc there (netem, tbf; tc_qdisc.h) shapes it.
// Everything through libnl-route-3, never by running `ip` or `tc`.
//
// Contract (docs/design.md "Safety rules"):
//  - Our IFB devices are named "flifb" + 8 hex digits (ifb_name_for(id)), one
//    per fault; is_our_ifb() recognises the name, so a leftover check lists
//    links by that prefix.
//  - create_ifb(name) adds the device (kind ifb) and sets it up; it fails when
//    a link of that name exists.
//  - redirect_ingress(interface, ifb) adds the interface's ingress qdisc
//    (ffff:) and one u32 filter on it (pref kOurIngressPrio, every packet of
//    every protocol) whose action is a mirred egress redirect to the ifb. It
//    refuses, changing nothing, when the interface already has an ingress or
//    clsact qdisc, ours (another ingress fault: heal it first) or not.
//  - remove_ingress_redirect(interface, ifb) deletes the interface's ingress
//    qdisc only when it carries our filter redirecting to THIS ifb, then
//    deletes the ifb (and with it its qdiscs). Removing what is not there
//    succeeds; it never touches an ingress qdisc that is not this fault's.
//  - kernel_supports_ingress_redirect(): ifb, sch_ingress, cls_u32 and
//    act_mirred tried in a throwaway network namespace (changes nothing on the
//    host; cached per process). The Error says which part is missing.
// All calls act in the calling thread's network namespace.
#pragma once

#include <cstdint>
#include <string>

#include "common/result.h"

namespace faultline::faults::net {

inline constexpr const char* kIfbPrefix = "flifb";
inline constexpr std::uint16_t kOurIngressPrio = 0xfa17;

std::string ifb_name_for(const std::string& id);
bool is_our_ifb(const std::string& name);

Result<void> create_ifb(const std::string& name);
Result<void> delete_link(const std::string& name);  // absent: success
Result<void> redirect_ingress(const std::string& interface, const std::string& ifb);
Result<void> remove_ingress_redirect(const std::string& interface, const std::string& ifb);

// Whether the interface has an ingress (or clsact) qdisc, whoever installed it.
Result<bool> has_ingress_qdisc(const std::string& interface);

Result<void> kernel_supports_ingress_redirect();

}  // namespace faultline::faults::net
