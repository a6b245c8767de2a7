// bandwidth through tbf, via libnl-route-3.
//
// Contract: {"kind":"bandwidth","rate":"1mbit","burst":"32KiB","latency":"50ms"}
// limits the host's outgoing rate on the chosen interface (optionally only
// towards "destinations", see tc_qdisc.h) with a tbf qdisc under our handle.
// rate uses tc's units (bit, kbit, mbit, gbit, bps, kbps, mbps); burst
// defaults to 10 ms worth of rate, at least 3028 bytes (two full frames);
// latency (how long a packet may wait; sets tbf's limit) defaults to 50ms.
// TbfBandwidth is "tbf", preference 0: tbf is in every kernel we met.
#pragma once

#include <cstdint>

#include "faults/mechanism.h"

struct rtnl_qdisc;

namespace faultline::faults::net {

struct TbfParams {
  std::uint64_t rate_bps = 0;  // bits per second
  std::uint32_t burst_bytes = 0;
  std::int64_t latency_us = 50000;
};

Result<TbfParams> tbf_params_from_spec(const FaultSpec& spec);
Result<void> configure_tbf(rtnl_qdisc* qdisc, const TbfParams& params);

class TbfBandwidth : public Mechanism {
 public:
  std::string_view name() const override { return "tbf"; }
  Availability probe(const HostContext& host) const override;
  Result<HealRecord> plan(const FaultSpec& spec, const HostContext& host) override;
  Result<void> apply(const HealRecord& record, const HostContext& host) override;
  Result<void> heal(const HealRecord& record, const HostContext& host) override;
  std::string describe(const HealRecord& record) const override;
  bool survives_reboot() const override { return false; }  // kernel state
};

}  // namespace faultline::faults::net
