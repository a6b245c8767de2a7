#include "checkers/reference/swim_config.h"

#include <algorithm>
#include <cmath>
#include <string>

namespace faultline::reference {

SwimConfig SwimConfig::lan() { return SwimConfig{}; }

Result<void> SwimConfig::validate() const {
  auto bad = [](const std::string& field, const std::string& why) {
    return invalid_input("swim config: " + field + " " + why);
  };
  if (probe_interval <= 0) return bad("probe_interval", "must be > 0");
  if (probe_timeout <= 0) return bad("probe_timeout", "must be > 0");
  if (probe_timeout >= probe_interval) return bad("probe_timeout", "must be shorter than probe_interval");
  if (indirect_checks < 0) return bad("indirect_checks", "must be >= 0");
  if (suspicion_mult < 1) return bad("suspicion_mult", "must be >= 1");
  if (suspicion_max_timeout_mult < 1) return bad("suspicion_max_timeout_mult", "must be >= 1");
  if (retransmit_mult < 1) return bad("retransmit_mult", "must be >= 1");
  if (max_gossip_per_message < 1) return bad("max_gossip_per_message", "must be >= 1");
  if (gossip_interval < 0) return bad("gossip_interval", "must be >= 0");
  if (gossip_nodes < 0) return bad("gossip_nodes", "must be >= 0");
  if (gossip_to_the_dead_time < 0) return bad("gossip_to_the_dead_time", "must be >= 0");
  if (push_pull_interval < 0) return bad("push_pull_interval", "must be >= 0");
  if (reconnect_interval < 0) return bad("reconnect_interval", "must be >= 0");
  if (awareness_max_multiplier < 0) return bad("awareness_max_multiplier", "must be >= 0");
  return ok_result();
}

Nanos suspicion_timeout(int suspicion_mult, std::size_t n, Nanos probe_interval) {
  double node_scale = std::max(1.0, std::log10(std::max(1.0, static_cast<double>(n))));
  // memberlist: mult * Duration(nodeScale*1000) * interval / 1000
  auto scale_milli = static_cast<Nanos>(node_scale * 1000);
  return static_cast<Nanos>(suspicion_mult) * scale_milli * probe_interval / 1000;
}

Nanos remaining_suspicion(int confirmations, int expected, Nanos min, Nanos max) {
  if (expected < 1) return min;
  double frac = std::log(confirmations + 1.0) / std::log(expected + 1.0);
  // memberlist: Duration(floor(1000 * raw seconds)) * Millisecond.
  double raw = (static_cast<double>(max) - frac * static_cast<double>(max - min)) / 1e9;
  return std::max(min, static_cast<Nanos>(std::floor(1000.0 * raw)) * 1'000'000);
}

int retransmit_limit(int retransmit_mult, std::size_t n) {
  return retransmit_mult * static_cast<int>(std::ceil(std::log10(static_cast<double>(n) + 1.0)));
}

}  // namespace faultline::reference
