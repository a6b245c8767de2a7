#include <sys/stat.h>

#include <fmt/format.h>
#include <mutex>
#include <set>
#include <utility>

#include "faults/net/iptables_chain.h"
#include "faults/net/iptables_mechanisms.h"

namespace faultline::faults::net {

Availability probe_iptables(const std::string& mechanism) {
  Availability a;
  a.mechanism = mechanism;
  // A success is remembered per network namespace (of the calling thread):
  // the registry probes on every plan, and check_available() runs
  // iptables-save, a program, which was most of an apply's time.
  static std::mutex cache_mutex;
  static std::set<std::pair<dev_t, ino_t>> available_in;
  struct stat ns {};
  const bool known_ns = ::stat("/proc/thread-self/ns/net", &ns) == 0;
  if (known_ns) {
    std::lock_guard lock(cache_mutex);
    if (available_in.count({ns.st_dev, ns.st_ino})) {
      a.available = true;
      return a;
    }
  }
  auto check = IptablesChains().check_available();
  a.available = check.ok();
  if (!check) {
    a.reason = check.error().message;
    return a;
  }
  if (known_ns) {
    std::lock_guard lock(cache_mutex);
    available_in.insert({ns.st_dev, ns.st_ino});
  }
  return a;
}

Result<void> heal_iptables_record(const HealRecord& record) {
  auto it = record.find("rule_id");
  if (it == record.end() || !it->is_string())
    return invalid_input("heal record has no string \"rule_id\" (not written by an iptables mechanism)");
  return IptablesChains().heal(it->get<std::string>());
}

}  // namespace faultline::faults::net
