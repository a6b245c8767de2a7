// IfbMechanism: an egress qdisc mechanism (netem, tbf) turned to ingress
// through an IFB device (ifb.h): "netem-ifb" serves delay, loss, duplicate,
// corrupt and reorder with "direction":"ingress" (preference 1, after netem's
// 0, before the NFQUEUE shaper and iptables-statistic at 10, which serve
// ingress on INPUT where this is unavailable); "tbf-ifb" serves bandwidth.
//
// Contract (faults/mechanism.h):
//  - serves(kIngress) only. probe(): the inner mechanism's probe (sch_netem,
//    sch_tbf) and kernel_supports_ingress_redirect().
//  - plan(): the inner plan (so the same parameters, the same refusal of
//    "ports" by netem), plus "direction":"ingress" and "ifb": a device name
//    of our own made from a fresh id, so each fault has its own device.
//  - apply(): checks the interface has no ingress qdisc yet, creates the ifb,
//    installs the inner qdisc on it (with "destinations" matched as sources:
//    on the ifb the peers are the senders), then the ingress redirect. On a
//    failure it removes what it made and says why.
//  - heal(): remove_ingress_redirect(interface, ifb) from the record alone.
// Registered in ifb_mechanism.cpp.
#pragma once

#include <memory>
#include <string>

#include "faults/mechanism.h"

namespace faultline::faults::net {

class IfbMechanism : public Mechanism {
 public:
  IfbMechanism(std::string name, std::unique_ptr<Mechanism> inner);

  std::string_view name() const override { return name_; }
  bool serves(Direction direction) const override { return direction == Direction::kIngress; }
  Availability probe(const HostContext& host) const override;
  Result<HealRecord> plan(const FaultSpec& spec, const HostContext& host) override;
  Result<void> apply(const HealRecord& record, const HostContext& host) override;
  Result<void> heal(const HealRecord& record, const HostContext& host) override;
  std::string describe(const HealRecord& record) const override;
  bool survives_reboot() const override { return false; }  // kernel state

 private:
  std::string name_;
  std::unique_ptr<Mechanism> inner_;
};

}  // namespace faultline::faults::net
