// Capability probe: for every fault kind, whether it works on this host and
// which mechanism serves it (docs/design.md "Kernel realities").
//
// Contract: probe_capabilities() asks every registered candidate of every
// kind in faults::all_fault_kinds(), in preference order, and changes
// nothing. Each kind maps to {"available": bool, "mechanism": the first
// available candidate that shapes egress (the default direction) (or ""),
// "reason": why not (each candidate's reason, or "no mechanism is built for
// this kind"), "candidates": [{"mechanism", "available", "reason",
// "directions": ["egress"|"ingress"...]}...]}; kinds that some candidate
// serves with "direction":"ingress" also carry "ingress": {"available",
// "mechanism", "reason"}, chosen the same way among the candidates that shape
// ingress. format_probe_table() renders it for humans (a "<kind> ingress"
// row under such kinds).
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "faults/registry.h"

namespace faultline::agent {

nlohmann::json probe_capabilities(faults::MechanismRegistry& registry, const faults::HostContext& host);
std::string format_probe_table(const nlohmann::json& capabilities);

}  // namespace faultline::agent
