#include "faults/net/rule.h"

#include <fmt/format.h>

namespace faultline::faults::net {
namespace {

std::size_t multiport_slots(const Rule& r) {
  std::size_t slots = 0;
  for (const auto& [low, high] : r.ports) slots += low == high ? 1 : 2;
  return slots;
}

std::string port_list(const Rule& r) {
  std::string out;
  for (const auto& [low, high] : r.ports) {
    if (!out.empty()) out += ',';
    out += low == high ? std::to_string(low) : fmt::format("{}:{}", low, high);
  }
  return out;
}

}  // namespace

Result<void> Rule::check() const {
  const bool tcp_or_udp = protocol == Protocol::kTcp || protocol == Protocol::kUdp;
  if (!interface.empty() && interface.size() > 15)
    return invalid_input(fmt::format("interface name '{}' is longer than 15 characters", interface));
  if ((!ports.empty() || source_port || destination_port) && !tcp_or_udp)
    return invalid_input("a port match needs protocol tcp or udp");
  if (syn_only && protocol != Protocol::kTcp) return invalid_input("a SYN match needs protocol tcp");
  if (multiport_slots(*this) > kMultiportSlots)
    return invalid_input(fmt::format("ports {}: more than {} port slots (a range takes two)", port_list(*this),
                                     kMultiportSlots));
  for (const auto& [low, high] : ports)
    if (low == 0 || low > high) return invalid_input(fmt::format("port range {}-{} is empty or has port 0", low, high));
  if (probability && !(*probability >= 0.0 && *probability <= 1.0))
    return invalid_input(fmt::format("probability {} is outside 0..1", *probability));
  if (set && set->name.empty()) return invalid_input("a set match needs the set's name");
  if (target == Target::kJump && jump.empty()) return invalid_input("a jump needs its chain");
  return ok_result();
}

std::string probability_text(double probability) { return fmt::format("{:.6f}", probability); }

std::vector<std::string> match_words(const Rule& r) {
  std::vector<std::string> w;
  if (!r.interface.empty()) {
    if (r.interface_negated) w.push_back("!");
    w.insert(w.end(), {r.hook == Hook::kInput ? "-i" : "-o", r.interface});
  }
  if (r.source) w.insert(w.end(), {"-s", r.source->text()});
  if (r.destination) w.insert(w.end(), {"-d", r.destination->text()});
  if (r.set) w.insert(w.end(), {"-m", "set", "--match-set", r.set->name, r.set->source ? "src" : "dst"});
  switch (r.protocol) {
    case Protocol::kAny: break;
    case Protocol::kTcp: w.insert(w.end(), {"-p", "tcp"}); break;
    case Protocol::kUdp: w.insert(w.end(), {"-p", "udp"}); break;
    case Protocol::kNotTcp: w.insert(w.end(), {"!", "-p", "tcp"}); break;
  }
  if (!r.ports.empty()) w.insert(w.end(), {"-m", "multiport", "--ports", port_list(r)});
  if (r.source_port) w.insert(w.end(), {"--sport", std::to_string(*r.source_port)});
  if (r.destination_port) w.insert(w.end(), {"--dport", std::to_string(*r.destination_port)});
  if (r.syn_only) w.push_back("--syn");
  if (r.new_only) w.insert(w.end(), {"-m", "conntrack", "--ctstate", "NEW"});
  if (r.probability)
    w.insert(w.end(), {"-m", "statistic", "--mode", "random", "--probability", probability_text(*r.probability)});
  return w;
}

std::vector<std::string> rule_words(const Rule& r) {
  auto w = match_words(r);
  switch (r.target) {
    case Rule::Target::kDrop: w.insert(w.end(), {"-j", "DROP"}); break;
    case Rule::Target::kAccept: w.insert(w.end(), {"-j", "ACCEPT"}); break;
    case Rule::Target::kReturn: w.insert(w.end(), {"-j", "RETURN"}); break;
    case Rule::Target::kJump: w.insert(w.end(), {"-j", r.jump}); break;
    case Rule::Target::kNfqueue:
      w.insert(w.end(), {"-j", "NFQUEUE", "--queue-num", std::to_string(r.queue)});
      if (r.queue_bypass) w.push_back("--queue-bypass");
      break;
  }
  return w;
}

}  // namespace faultline::faults::net
