// The network mechanisms built on IptablesChains (iptables_chain.h).
//
// Contract (each a faults::Mechanism, registered by kind in its .cpp):
//  - IptablesPartition, kind "partition", name "iptables", preference 0:
//    {"kind":"partition","peers":[ADDR|CIDR,...]} drops everything between
//    this host and the peers, both directions (INPUT -s peer, OUTPUT -d peer;
//    from 16 peers on, one ip set of the fault's peers matched by one rule per
//    direction, see partition.cpp), in one atomic batch, then deletes the
//    conntrack entries of flows to/from the peers so established connections
//    are cut as well.
//  - IptablesBlackholeOut, kind "blackhole-out", name "iptables": the host
//    sends nothing (OUTPUT DROP on every interface but loopback, or only on
//    "interface", or only towards "destinations") and still receives everything.
//  - IptablesStatisticLoss, kind "loss", name "iptables-statistic",
//    preference 10 (netem's fallback): {"kind":"loss","percent":30} drops that
//    share of outgoing packets at random (statistic match, mode random) on
//    every interface but loopback, or on "interface", optionally only towards
//    "destinations". netem's "correlation" cannot be expressed: it is
//    recorded as ignored and describe() says so. With "direction":"ingress"
//    it drops that share of incoming packets instead (INPUT, -i, the
//    destinations read as sources).
// All exempt HostContext::exemptions (the control connection) and heal by the
// record's "rule_id" tag alone, so a fresh instance in a restarted agent heals.
#pragma once

#include "faults/mechanism.h"

namespace faultline::faults::net {

class IptablesPartition : public Mechanism {
 public:
  std::string_view name() const override { return "iptables"; }
  Availability probe(const HostContext& host) const override;
  Result<HealRecord> plan(const FaultSpec& spec, const HostContext& host) override;
  Result<void> apply(const HealRecord& record, const HostContext& host) override;
  Result<void> heal(const HealRecord& record, const HostContext& host) override;
  std::string describe(const HealRecord& record) const override;
  bool survives_reboot() const override { return false; }  // kernel state
};

class IptablesBlackholeOut : public Mechanism {
 public:
  std::string_view name() const override { return "iptables"; }
  Availability probe(const HostContext& host) const override;
  Result<HealRecord> plan(const FaultSpec& spec, const HostContext& host) override;
  Result<void> apply(const HealRecord& record, const HostContext& host) override;
  Result<void> heal(const HealRecord& record, const HostContext& host) override;
  std::string describe(const HealRecord& record) const override;
  bool survives_reboot() const override { return false; }  // kernel state
};

class IptablesStatisticLoss : public Mechanism {
 public:
  std::string_view name() const override { return "iptables-statistic"; }
  bool serves(Direction) const override { return true; }
  Availability probe(const HostContext& host) const override;
  Result<HealRecord> plan(const FaultSpec& spec, const HostContext& host) override;
  Result<void> apply(const HealRecord& record, const HostContext& host) override;
  Result<void> heal(const HealRecord& record, const HostContext& host) override;
  std::string describe(const HealRecord& record) const override;
  bool survives_reboot() const override { return false; }  // kernel state
};

// Shared by the three: probe of iptables (a success is remembered per network
// namespace, so planning does not run iptables-save each time), and heal by
// the record's rule_id.
Availability probe_iptables(const std::string& mechanism);
Result<void> heal_iptables_record(const HealRecord& record);

}  // namespace faultline::faults::net
