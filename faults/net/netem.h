// netem through libnl-route-3: delay, loss, duplicate, corrupt, reorder.
//
// Contract:
//  - NetemParams::from_spec validates one kind's parameters:
//      delay     {"delay":"50ms","jitter":"10ms","correlation":25,"distribution":"normal"}
//                (distribution normal|pareto|paretonormal|uniform; needs jitter)
//      loss      {"percent":30,"correlation":25}
//      duplicate {"percent":5,"correlation":0}
//      corrupt   {"percent":1,"correlation":0}
//      reorder   {"percent":25,"correlation":50,"delay":"10ms","gap":0}
//                (netem reorders by sending some packets at once and delaying
//                the rest, so it needs a delay; 10ms when not given)
//    and round-trips through JSON (the heal record carries it).
//  - build_netem_qdisc builds, without sending, the rtnl_qdisc object that
//    apply sends; tests read its attributes back. Distribution tables are the
//    ones tc loads: <name>.dist from $TC_LIB_DIR, /usr/lib/<multiarch>/tc,
//    /usr/lib64/tc, /usr/lib/tc or /usr/local/lib/tc ("uniform" needs no
//    table: it is netem's default for jitter). A missing table is a clear error.
//  - NetemMechanism ("netem", preference 0 for all five kinds) installs the
//    qdisc on the chosen interface (optionally only towards "destinations")
//    with our handle, see tc_qdisc.h. probe() says "sch_netem not available in
//    this kernel" where it is missing, so the registry picks the fallbacks
//    (iptables-statistic for loss, the NFQUEUE shaper for the others).
#pragma once

#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "common/result.h"
#include "faults/fault_spec.h"
#include "faults/mechanism.h"

struct rtnl_qdisc;

namespace faultline::faults::net {

struct NetemParams {
  std::int64_t delay_us = 0;
  std::int64_t jitter_us = 0;
  double delay_correlation = 0;  // percent
  std::string distribution;      // "" = none (uniform jitter)
  double loss = 0, loss_correlation = 0;
  double duplicate = 0, duplicate_correlation = 0;
  double corrupt = 0, corrupt_correlation = 0;
  double reorder = 0, reorder_correlation = 0;
  int gap = 0;
  int limit = 1000;  // packets

  static Result<NetemParams> from_spec(const FaultSpec& spec);
  static Result<NetemParams> from_json(const nlohmann::json& json);
  nlohmann::json to_json() const;
  std::string summary() const;  // "delay 50ms ± 10ms (normal)"
};

// netem's fixed-point probability: percent 0..100 -> 0..UINT32_MAX.
std::uint32_t netem_probability(double percent);

// Where a distribution table lives, or an error naming the places searched.
Result<std::string> find_distribution_table(const std::string& name);

// Sets netem parameters on a qdisc whose kind is "netem".
Result<void> configure_netem(rtnl_qdisc* qdisc, const NetemParams& params);

// A netem qdisc object (not sent) for ifindex/parent/handle; free with rtnl_qdisc_put.
Result<rtnl_qdisc*> build_netem_qdisc(const NetemParams& params, int ifindex, std::uint32_t parent,
                                      std::uint32_t handle);

class NetemMechanism : public Mechanism {
 public:
  std::string_view name() const override { return "netem"; }
  Availability probe(const HostContext& host) const override;
  Result<HealRecord> plan(const FaultSpec& spec, const HostContext& host) override;
  Result<void> apply(const HealRecord& record, const HostContext& host) override;
  Result<void> heal(const HealRecord& record, const HostContext& host) override;
  std::string describe(const HealRecord& record) const override;
  bool survives_reboot() const override { return false; }  // kernel state
};

}  // namespace faultline::faults::net
