// Runs one network fault through a NAMED mechanism, for the traffic tests that
// measure the same thing once through netem and once through its fallback.
//
// Contract:
//  - netem_unavailable(kind) asks the registry's netem mechanism for `kind`
//    whether it can serve on this kernel (its probe, in this process, touches
//    nothing on the host); "" when it can, else "netem: <probe's reason>",
//    which a test prints with GTEST_SKIP so a kernel without sch_netem skips
//    visibly instead of passing.
//  - run_fault_in(ns, spec, mechanism, measure) forks a child into `ns`, adds
//    "mechanism":NAME to the spec and plans it with MechanismRegistry::plan
//    (so the mechanism is chosen as the registry honours an explicit
//    "mechanism" field; unavailable is an error, never a silent substitute),
//    applies it on eth0, runs measure() while it is in effect, heals it (when
//    `heal`) and returns {"record","describe","result"} or {"error"}.
//  - our_rules_in(ns, table) lists the iptables rules naming faultline or
//    NFQUEUE in `table` ("" = every table), one per line; "" when none.
//  - leftovers_in(ns) lists what of ours a heal would have to remove: iptables
//    rules naming faultline or NFQUEUE (all tables), a root qdisc with our
//    handle fa17: on eth0, and ingress_leftovers_in(ns): links named like our
//    ifb devices (flifb...) and an ingress qdisc on eth0. "" when clean.
#pragma once

#include <functional>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace faultline::testing::shaper_probe {

std::string netem_unavailable(const std::string& kind);

nlohmann::json run_fault_in(const std::string& ns, const std::string& spec_text, const std::string& mechanism,
                            const std::function<nlohmann::json()>& measure, bool heal = true);

std::string our_rules_in(const std::string& ns, const std::string& table);
std::string leftovers_in(const std::string& ns);
std::string ingress_leftovers_in(const std::string& ns);

// gtest parameter names: "nfqueue-shaper" -> "nfqueue_shaper".
std::string mechanism_param_name(const ::testing::TestParamInfo<std::string>& info);

}  // namespace faultline::testing::shaper_probe
