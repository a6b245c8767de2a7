#include <fmt/format.h>

#include "faults/net/iptables_chain.h"
#include "faults/net/iptables_mechanisms.h"

namespace faultline::faults::net {

Availability probe_iptables(const std::string& mechanism) {
  Availability a;
  a.mechanism = mechanism;
  auto check = IptablesChains().check_available();
  a.available = check.ok();
  if (!check) a.reason = check.error().message;
  return a;
}

Result<void> heal_iptables_record(const HealRecord& record) {
  auto it = record.find("rule_id");
  if (it == record.end() || !it->is_string())
    return invalid_input("heal record has no string \"rule_id\" (not written by an iptables mechanism)");
  return IptablesChains().heal(it->get<std::string>());
}

}  // namespace faultline::faults::net
