#include <spdlog/spdlog.h>

#include <fmt/format.h>

// The partition: per peer, or with one IP set for all peers.
//
// "direction": both (default), in (drop what the peers send us: INPUT
// rules only), out (drop what we send them: OUTPUT rules only).
// "keep_established": the DROP rules match only new connections (TCP: the
// SYN; other protocols: conntrack state NEW), so flows set up before the
// fault keep flowing and only new connections are cut (and conntrack's entries are left alone). "ports"/"protocol"
// (port_match.h): only that traffic is dropped (conntrack entries are left
// alone too: the other flows to the peers go on). Both go into the record, so a
// restarted agent heals what was applied by rule id alone.
//
// With few peers the rules are one per peer and direction (INPUT -s PEER,
// OUTPUT -d PEER). From kSetMinPeers (16) peers on, the kernel's cost of a rule
// per peer dominates an apply (~12 us per rule to build, and every packet
// walks them all), so the peers go into one ip_set (hash:net, ipset.h) of
// this fault and the rules are two: INPUT -m set --match-set SET src and
// OUTPUT -m set --match-set SET dst, still in our chains, still applied in
// one atomic step after the set is filled (the set alone drops nothing).
// iptables-save shows them as such; `ipset list` shows the set, named
// "faultline-<rule_id>", while the fault lasts. The plan records the set
// name; heal deletes the rules, then destroys the set (missing: fine), so a
// restarted agent heals from the record alone. Where the kernel has no
// ip_set, apply falls back to per-peer rules.
#include <algorithm>
#include <utility>

#include "faults/net/conntrack_cut.h"
#include "faults/net/iptables_chain.h"
#include "faults/net/iptables_mechanisms.h"
#include "faults/net/ipset.h"
#include "faults/net/net_params.h"
#include "faults/net/port_match.h"
#include "faults/process/fault_id.h"
#include "faults/registry.h"

namespace faultline::faults::net {
namespace {

// Below this, rules per peer cost less than the set's create/fill/destroy
// (bench/controller/partition_apply_bench: break-even near 10-15 peers).
constexpr std::size_t kSetMinPeers = 16;

// What a partition drops: which hooks (direction) and, with keep_established,
// only packets that open a new flow (conntrack state NEW), so flows set up
// before the fault keep going.
struct Cut {
  bool in = true;    // INPUT: what the peers send us
  bool out = true;   // OUTPUT: what we send them
  bool only_new = false;
  PortMatch ports;   // only these ports/protocols (empty: everything)
};

Result<Cut> cut_of(const HealRecord& record) {
  const std::string direction = record.value("direction", "both");
  auto ports = PortMatch::from_json(record);
  if (!ports) return ports.error();
  return Cut{direction != "out", direction != "in", record.value("keep_established", false), *ports};
}

// One DROP rule per hook, peer match and port alternative. `in_peer` and
// `out_peer` hold only the peer match (address or set) of each hook.
void add_rules(std::vector<Rule>& rules, const Cut& cut, const Rule& in_peer, const Rule& out_peer) {
  // keep_established: a TCP connection attempt is its SYN (so a flow that
  // began before conntrack watched this namespace is not mistaken for a new
  // one: conntrack would call its first packet seen NEW); anything else is
  // new when conntrack says so.
  std::vector<Rule> alternatives = cut.ports.alternatives();
  if (cut.only_new) {
    std::vector<Rule> split;
    for (const auto& a : alternatives) {
      if (a.protocol != Protocol::kUdp) {
        Rule t = a;
        t.protocol = Protocol::kTcp;
        t.syn_only = true;
        split.push_back(t);
      }
      if (a.protocol != Protocol::kTcp) {
        Rule o = a;
        if (a.protocol == Protocol::kAny) o.protocol = Protocol::kNotTcp;
        o.new_only = true;
        split.push_back(o);
      }
    }
    alternatives = split;
  }
  for (const auto& alternative : alternatives) {
    for (auto [wanted, peer] : {std::pair{cut.in, &in_peer}, std::pair{cut.out, &out_peer}}) {
      if (!wanted) continue;
      Rule rule = alternative;
      rule.hook = peer->hook;
      rule.source = peer->source;
      rule.destination = peer->destination;
      rule.set = peer->set;
      rule.target = Rule::Target::kDrop;
      rules.push_back(std::move(rule));
    }
  }
}

std::vector<Rule> per_peer_rules(const std::vector<Ipv4Prefix>& peers, const Cut& cut) {
  std::vector<Rule> rules;
  for (const auto& p : peers) {
    Rule in, out;
    in.hook = Hook::kInput;
    in.source = p;
    out.hook = Hook::kOutput;
    out.destination = p;
    add_rules(rules, cut, in, out);
  }
  return rules;
}

std::vector<Rule> set_rules(const std::string& set, const Cut& cut) {
  std::vector<Rule> rules;
  Rule in, out;
  in.hook = Hook::kInput;
  in.set = Rule::SetMatch{set, /*source=*/true};
  out.hook = Hook::kOutput;
  out.set = Rule::SetMatch{set, /*source=*/false};
  add_rules(rules, cut, in, out);
  return rules;
}

}  // namespace

Availability IptablesPartition::probe(const HostContext&) const { return probe_iptables("iptables"); }

Result<HealRecord> IptablesPartition::plan(const FaultSpec& spec, const HostContext&) {
  auto peers = parse_prefix_list(spec.params, "peers", /*required=*/true);
  if (!peers) return peers.error().with_context("partition");
  HealRecord record{{"rule_id", random_id()}, {"peers", prefix_texts(*peers)}};
  if (auto d = spec.params.find("direction"); d != spec.params.end() && *d != "both") record["direction"] = *d;
  if (spec.params.value("keep_established", false)) record["keep_established"] = true;
  auto ports = PortMatch::parse(spec.params);
  if (!ports) return ports.error().with_context("partition");
  ports->to_json(record);
  const bool settable = std::none_of(peers->begin(), peers->end(), [](const Ipv4Prefix& p) { return p.length == 0; });
  if (peers->size() >= kSetMinPeers && settable) record["set"] = "faultline-" + record["rule_id"].get<std::string>();
  return record;
}

Result<void> IptablesPartition::apply(const HealRecord& record, const HostContext& host) {
  auto peers = prefixes_from_record(record, "peers");
  if (!peers) return peers.error().with_context("partition record");
  if (peers->empty()) return invalid_input("partition record has no peers");
  auto cut = cut_of(record);
  if (!cut) return cut.error();
  const std::string set = record.value("set", "");
  bool with_set = false;
  if (!set.empty()) {
    auto filled = ipset_fill(set, *peers);
    if (filled) with_set = true;
    else spdlog::info("partition: no ip set ({}), one rule per peer instead", filled.error().message);
  }
  auto applied = IptablesChains().apply(record.value("rule_id", ""),
                                        with_set ? set_rules(set, *cut) : per_peer_rules(*peers, *cut), host.exemptions);
  if (!applied) {
    if (with_set) (void)ipset_destroy(set);  // nothing of ours stays behind
    return applied;
  }
  // The rules are in effect: now cut what conntrack still remembers, so no
  // established flow keeps a path through a RELATED/ESTABLISHED accept
  // (unless established flows are what the fault keeps).
  if (cut->only_new || !cut->ports.empty()) return ok_result();
  auto flows = cut_conntrack_flows(*peers);
  if (!flows) spdlog::warn("partition {}: rules in effect, but conntrack entries not cut: {}", join_prefixes(*peers),
                           flows.error().message);
  return ok_result();
}

Result<void> IptablesPartition::heal(const HealRecord& record, const HostContext&) {
  auto healed = heal_iptables_record(record);
  if (!healed) return healed;
  // The rules that referenced the set are gone; now the set.
  if (auto it = record.find("set"); it != record.end() && it->is_string()) {
    auto destroyed = ipset_destroy(it->get<std::string>());
    if (!destroyed) return destroyed.error().with_context("partition heal");
  }
  return ok_result();
}

std::string IptablesPartition::describe(const HealRecord& record) const {
  auto peers = prefixes_from_record(record, "peers");
  const std::string set = record.value("set", "");
  auto cut = cut_of(record);
  if (!cut) return "partition: unreadable record";
  const char* what = cut->in && cut->out ? "all traffic to and from" : cut->in ? "all traffic from" : "all traffic to";
  return fmt::format("partition: drop {}{} {}{} (iptables{}, control connection exempt)",
                     cut->only_new ? "new connections in " : "", what,
                     peers ? join_prefixes(*peers) : std::string("?"), cut->ports.describe(),
                     set.empty() ? "" : ", ip set " + set);
}

FAULTLINE_REGISTER_MECHANISM("partition", 0, IptablesPartition);

}  // namespace faultline::faults::net
