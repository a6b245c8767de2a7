#include "tests/faults/net/shaper/mechanism_runner.h"

#include <fmt/format.h>

#include "faults/net/ifb.h"
#include "faults/net/tc_qdisc.h"
#include "faults/registry.h"
#include "tests/support/netns.h"

namespace faultline::testing::shaper_probe {

using faults::FaultSpec;
using faults::HostContext;
using faults::MechanismRegistry;

std::string netem_unavailable(const std::string& kind) {
  auto netem = MechanismRegistry::instance().find(kind, "netem");
  if (!netem) return "netem: " + netem.error().message;
  auto availability = (*netem)->probe(HostContext{});
  return availability.available ? std::string() : "netem: " + availability.reason;
}

nlohmann::json run_fault_in(const std::string& ns, const std::string& spec_text, const std::string& mechanism,
                            const std::function<nlohmann::json()>& measure, bool heal) {
  auto out = NetnsCluster::run_in_capture(ns, [&]() -> std::string {
    auto error = [](const std::string& message) { return nlohmann::json{{"error", message}}.dump(); };
    auto object = nlohmann::json::parse(spec_text, nullptr, false);
    if (!object.is_object()) return error("spec is not a JSON object: " + spec_text);
    object["mechanism"] = mechanism;
    auto spec = FaultSpec::parse(object);
    if (!spec) return error(spec.error().message);
    HostContext host;
    host.default_interface = "eth0";
    auto& registry = MechanismRegistry::instance();
    auto record = registry.plan(*spec, host);
    if (!record) return error(record.error().message);
    if ((*record)["mechanism"] != mechanism)
      return error(fmt::format("asked for {}, the registry planned {}", mechanism, (*record)["mechanism"].dump()));
    auto chosen = registry.find(spec->kind, mechanism);
    if (!chosen) return error(chosen.error().message);
    nlohmann::json reply;
    reply["record"] = *record;
    reply["describe"] = (*chosen)->describe(*record);
    if (auto applied = (*chosen)->apply(*record, host); !applied) return error(applied.error().message);
    reply["result"] = measure();
    if (heal) {
      if (auto healed = (*chosen)->heal(*record, host); !healed) reply["error"] = healed.error().message;
    }
    return reply.dump();
  });
  if (!out) return nlohmann::json{{"error", out.error().message}};
  auto parsed = nlohmann::json::parse(*out, nullptr, false);
  if (parsed.is_discarded()) return nlohmann::json{{"error", "child returned no JSON: " + *out}};
  return parsed;
}

std::string our_rules_in(const std::string& ns, const std::string& table) {
  std::string ours;
  std::vector<std::string> save{"iptables-save"};
  if (!table.empty()) save.insert(save.end(), {"-t", table});
  auto saved = NetnsCluster::exec(ns, save).output;
  std::size_t start = 0;
  while (start < saved.size()) {
    auto end = saved.find('\n', start);
    auto line = saved.substr(start, end == std::string::npos ? std::string::npos : end - start);
    if (line.find("faultline") != std::string::npos || line.find("NFQUEUE") != std::string::npos)
      ours += line + "\n";
    if (end == std::string::npos) break;
    start = end + 1;
  }
  return ours;
}

std::string leftovers_in(const std::string& ns) {
  std::string ours = our_rules_in(ns, "");
  auto qdisc = NetnsCluster::run_in_capture(ns, [] {
    auto root = faults::net::read_root_qdisc("eth0");
    if (!root) return "cannot read the root qdisc of eth0: " + root.error().message;
    if (root->present && (root->handle >> 16) == faults::net::kOurMajor)
      return fmt::format("qdisc {} fa17: on eth0\n", root->kind);
    return std::string();
  });
  ours += qdisc ? *qdisc : "cannot inspect qdiscs: " + qdisc.error().message;
  ours += ingress_leftovers_in(ns);
  return ours;
}

std::string ingress_leftovers_in(const std::string& ns) {
  std::string ours;
  auto links = NetnsCluster::exec(ns, {"ip", "-o", "link", "show"}).output;
  std::size_t start = 0;
  while (start < links.size()) {
    auto end = links.find('\n', start);
    auto line = links.substr(start, end == std::string::npos ? std::string::npos : end - start);
    if (line.find(faults::net::kIfbPrefix) != std::string::npos) ours += "link " + line + "\n";
    if (end == std::string::npos) break;
    start = end + 1;
  }
  auto ingress = NetnsCluster::run_in_capture(ns, [] {
    auto present = faults::net::has_ingress_qdisc("eth0");
    if (!present) return "cannot read the ingress qdisc of eth0: " + present.error().message;
    return std::string(*present ? "ingress qdisc on eth0\n" : "");
  });
  ours += ingress ? *ingress : "cannot inspect qdiscs: " + ingress.error().message;
  return ours;
}

std::string mechanism_param_name(const ::testing::TestParamInfo<std::string>& info) {
  std::string name = info.param;
  for (auto& c : name)
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  return name;
}

}  // namespace faultline::testing::shaper_probe
