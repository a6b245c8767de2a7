#include "faults/net/shaper/shaper_mechanism.h"

#include <net/if.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <mutex>
#include <optional>
#include <set>

#include <fmt/format.h>

#include <spdlog/spdlog.h>

#include "faults/net/net_params.h"
#include "faults/net/port_match.h"
#include "faults/net/shaper/nfqueue_netlink.h"
#include "faults/process/fault_id.h"

namespace faultline::faults::shaper {
namespace {

bool file_mentions(const char* path, const std::string& word) {
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line))
    if (line == word) return true;
  return false;
}

Result<std::string> rule_id_of(const HealRecord& record) {
  auto it = record.find("rule_id");
  if (it == record.end() || !it->is_string()) return invalid_input("shaper record has no string \"rule_id\"");
  return it->get<std::string>();
}

}  // namespace

net::IptablesOptions shaper_iptables_options() {
  net::IptablesOptions options;
  options.table = "mangle";
  return options;
}

ShaperMechanism::ShaperMechanism(std::string kind, std::shared_ptr<Shaper> shaper)
    : kind_(std::move(kind)), shaper_(std::move(shaper)) {}

Availability ShaperMechanism::probe(const HostContext&) const {
  Availability a{false, kShaperMechanismName, {}};
  if (geteuid() != 0) {
    a.reason = "needs root (CAP_NET_ADMIN) to bind an NFQUEUE queue";
    return a;
  }
  // What is found available is remembered per network namespace: the
  // registry probes on every plan, and reading /proc and running iptables-save
  // (a program) each time was most of the agent's time to apply a delay.
  static std::mutex cache_mutex;
  static std::set<std::pair<dev_t, ino_t>> available_in;
  struct stat ns{};
  bool known_ns = ::stat("/proc/thread-self/ns/net", &ns) == 0;
  {
    std::lock_guard lock(cache_mutex);
    if (known_ns && available_in.count({ns.st_dev, ns.st_ino})) {
      a.available = true;
      return a;
    }
  }
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::exists("/proc/net/netfilter/nfnetlink_queue", ec) && !fs::exists("/sys/module/nfnetlink_queue", ec)) {
    a.reason = "kernel has no nfnetlink_queue (CONFIG_NETFILTER_NETLINK_QUEUE)";
    return a;
  }
  if (fs::exists("/proc/net/ip_tables_targets", ec) && !file_mentions("/proc/net/ip_tables_targets", "NFQUEUE") &&
      !fs::exists("/sys/module/xt_NFQUEUE", ec)) {
    a.reason = "iptables NFQUEUE target missing (CONFIG_NETFILTER_XT_TARGET_NFQUEUE)";
    return a;
  }
  if (auto chains = net::IptablesChains(shaper_iptables_options()).check_available(); !chains) {
    a.reason = chains.error().message;
    return a;
  }
  if (known_ns) {
    std::lock_guard lock(cache_mutex);
    available_in.insert({ns.st_dev, ns.st_ino});
  }
  a.available = true;
  return a;
}

Result<HealRecord> ShaperMechanism::plan(const FaultSpec& spec, const HostContext& host) {
  if (spec.kind != kind_)
    return invalid_input(fmt::format("shaper mechanism for '{}' asked to plan a '{}' fault", kind_, spec.kind));
  auto fault = ShaperFault::parse(spec, host.default_interface);
  if (!fault) return fault.error();
  for (const auto& prefix : fault->destinations)
    if (prefix.family != 4)
      return invalid_input(fmt::format("{} fault field \"destinations\": '{}' is IPv6; the NFQUEUE shaper "
                                       "serves IPv4 destinations only", kind_, prefix.to_string()));
  if (!fault->interface.empty() && if_nametoindex(fault->interface.c_str()) == 0)
    return invalid_input(fmt::format("{} fault field \"interface\": no interface '{}' on this host", kind_,
                                     fault->interface));
  auto id = fault_id_for(spec);
  if (!id) return id.error();
  auto ports = net::PortMatch::parse(spec.params);
  if (!ports) return ports.error().with_context(kind_);
  HealRecord record;
  record["rule_id"] = "shaper." + *id;
  record["shaper"] = fault->to_json();
  ports->to_json(record);
  return record;
}

Result<void> ShaperMechanism::apply(const HealRecord& record, const HostContext& host) {
  auto rule_id = rule_id_of(record);
  if (!rule_id) return rule_id.error();
  auto fault = ShaperFault::from_json(record.value("shaper", nlohmann::json()));
  if (!fault) return fault.error();
  auto ports = net::PortMatch::from_json(record);
  if (!ports) return ports.error();
  auto queue = shaper_->add(*rule_id, *fault);
  if (!queue) return queue.error();

  // Egress: OUTPUT, the outgoing interface, the peers as destinations;
  // ingress: INPUT, the incoming interface, the peers as sources.
  // [! -o lo | -o IF] [-d PREFIX] [ports] -j NFQUEUE --queue-num Q --queue-bypass
  std::vector<net::Rule> rules;
  auto add_rule = [&](const std::optional<net::Ipv4Prefix>& peer) {
    for (auto rule : ports->alternatives()) {
      rule.hook = fault->ingress ? net::Hook::kInput : net::Hook::kOutput;
      rule.interface = fault->interface.empty() ? "lo" : fault->interface;
      rule.interface_negated = fault->interface.empty();
      (fault->ingress ? rule.source : rule.destination) = peer;
      rule.target = net::Rule::Target::kNfqueue;
      rule.queue = *queue;
      rule.queue_bypass = true;
      rules.push_back(std::move(rule));
    }
  };
  if (fault->destinations.empty()) add_rule(std::nullopt);
  for (const auto& prefix : fault->destinations) {
    auto peer = net::parse_ipv4_prefix(prefix.to_string());  // IPv4 only, checked by plan()
    if (!peer) {
      shaper_->remove(*rule_id);
      return peer.error().with_context(kind_);
    }
    add_rule(*peer);
  }

  // In-process nf_tables transaction where it can express the rules (no
  // program started); else one iptables-restore batch. Same rules either way.
  net::IptablesChains chains(shaper_iptables_options());
  if (net::IptablesChains::validate_id(*rule_id).ok()) {
    auto fast = nfqueue_fast_apply(chains.options(), *rule_id, rules, net::IptablesChains::exemption_rules(host.exemptions));
    if (fast) return ok_result();
    spdlog::debug("shaper rules of {} through iptables-restore: {}", *rule_id, fast.error().message);
  }
  if (auto applied = chains.apply(*rule_id, rules, host.exemptions); !applied) {
    shaper_->remove(*rule_id);
    return applied.error();
  }
  return ok_result();
}

Result<void> ShaperMechanism::heal(const HealRecord& record, const HostContext&) {
  auto rule_id = rule_id_of(record);
  if (!rule_id) return rule_id.error();
  // Rules first, so nothing new is queued; then the shaper lets go of what it holds.
  auto healed = net::IptablesChains(shaper_iptables_options()).heal(*rule_id);
  shaper_->remove(*rule_id);
  return healed;
}

std::string ShaperMechanism::describe(const HealRecord& record) const {
  auto fault = ShaperFault::from_json(record.value("shaper", nlohmann::json()));
  if (!fault) return fmt::format("{} (NFQUEUE shaper, unreadable record)", kind_);
  auto ports = net::PortMatch::from_json(record);
  return fault->describe() + (ports ? ports->describe() : std::string());
}

}  // namespace faultline::faults::shaper
