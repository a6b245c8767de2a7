// ShaperMechanism: delay, reorder, duplicate and corrupt through the NFQUEUE
// shaper, the fallback where the kernel has no sch_netem (registered at
// preference 10, after netem's 0, for each of kShaperKinds, by
// shaper_registrations.cpp).
//
// Contract (faults/mechanism.h):
//  - probe(): available when this is root, nfnetlink_queue and the iptables
//    NFQUEUE target exist, and the mangle table can be read; once found
//    available in a network namespace, remembered there; changes nothing.
//  - plan(): checks the spec (shaper_fault.h; IPv4 destinations only), resolves
//    the interface, and records {"rule_id", "shaper": parameters}.
//  - apply(): adds the fault to the process's shaper (Shaper::shared(): its
//    queue and thread are created in the calling thread's network namespace)
//    and then puts its NFQUEUE rules — with --queue-bypass, so traffic flows
//    if the agent dies — into our FAULTLINE-OUT chain of the mangle table in
//    one atomic step (with "direction":"ingress": into FAULTLINE-IN, jumped
//    to from mangle INPUT, matching the incoming interface and the peers as
//    sources), the control connection exempt: an in-process nf_tables
//    transaction where it can (nfqueue_netlink.h), else one iptables-restore
//    batch (faults/net/iptables_chain.h); the same rules either way. Mangle, not filter: NF_ACCEPT from the queue ends only the mangle
//    table, so the host's filter rules and our partitions still see the packet.
//  - heal(): removes exactly the rules tagged with the record's rule_id (from
//    the record alone, in a fresh process too), then the fault from the shaper,
//    which releases what it holds and unbinds its queue when it is unused.
#pragma once

#include <array>
#include <memory>
#include <string>

#include "faults/mechanism.h"
#include "faults/net/iptables_chain.h"
#include "faults/net/shaper/shaper.h"

namespace faultline::faults::shaper {

inline constexpr const char* kShaperMechanismName = "nfqueue-shaper";
inline constexpr std::array<const char*, 4> kShaperKinds = {"delay", "reorder", "duplicate", "corrupt"};

// The IptablesChains the shaper's rules live in (mangle table, our chains).
net::IptablesOptions shaper_iptables_options();

class ShaperMechanism : public Mechanism {
 public:
  explicit ShaperMechanism(std::string kind, std::shared_ptr<Shaper> shaper = Shaper::shared());

  std::string_view name() const override { return kShaperMechanismName; }
  Availability probe(const HostContext& host) const override;
  Result<HealRecord> plan(const FaultSpec& spec, const HostContext& host) override;
  Result<void> apply(const HealRecord& record, const HostContext& host) override;
  Result<void> heal(const HealRecord& record, const HostContext& host) override;
  std::string describe(const HealRecord& record) const override;
  bool survives_reboot() const override { return false; }  // kernel state
  bool serves(Direction) const override { return true; }  // OUTPUT or INPUT

 private:
  std::string kind_;
  std::shared_ptr<Shaper> shaper_;
};

}  // namespace faultline::faults::shaper
