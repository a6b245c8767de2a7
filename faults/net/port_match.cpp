#include "faults/net/port_match.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "faults/spec/values.h"

namespace faultline::faults::net {
namespace {

constexpr std::size_t kMultiportMax = 15;

Result<std::vector<std::pair<std::uint16_t, std::uint16_t>>> parse_ports(const nlohmann::json& value) {
  std::vector<std::pair<std::uint16_t, std::uint16_t>> out;
  auto one = [&](const nlohmann::json& v) -> Result<void> {
    if (v.is_number_integer()) {
      auto p = v.get<long long>();
      if (p < 1 || p > 65535) return invalid_input(fmt::format("field \"ports\": {} is outside 1..65535", p));
      out.emplace_back(static_cast<std::uint16_t>(p), static_cast<std::uint16_t>(p));
      return ok_result();
    }
    if (!v.is_string()) return invalid_input(fmt::format("field \"ports\": {} is not a port or a range", v.dump()));
    auto range = spec::parse_port_range(v.get<std::string>());
    if (!range) return range.error().with_context("field \"ports\"");
    out.push_back(*range);
    return ok_result();
  };
  if (value.is_array()) {
    for (const auto& v : value)
      if (auto r = one(v); !r) return r.error();
  } else if (auto r = one(value); !r) {
    return r.error();
  }
  if (out.empty()) return invalid_input("field \"ports\" must list at least one port");
  if (out.size() > kMultiportMax)
    return invalid_input(fmt::format("field \"ports\": at most {} ports or ranges", kMultiportMax));
  return out;
}

std::string range_text(const std::pair<std::uint16_t, std::uint16_t>& r, char sep) {
  return r.first == r.second ? std::to_string(r.first) : fmt::format("{}{}{}", r.first, sep, r.second);
}

}  // namespace

Result<PortMatch> PortMatch::parse(const nlohmann::json& spec) {
  PortMatch m;
  if (auto p = spec.find("ports"); p != spec.end() && !p->is_null()) {
    auto ports = parse_ports(*p);
    if (!ports) return ports.error();
    m.ports = *ports;
  }
  std::string protocol = "both";
  if (auto p = spec.find("protocol"); p != spec.end() && !p->is_null()) {
    if (!p->is_string()) return invalid_input("field \"protocol\" must be tcp, udp or both");
    protocol = p->get<std::string>();
    if (protocol != "tcp" && protocol != "udp" && protocol != "both")
      return invalid_input(fmt::format("field \"protocol\": '{}' is not tcp, udp or both", protocol));
  }
  // "both" without ports filters nothing; with ports it needs a rule per protocol.
  if (protocol == "tcp" || protocol == "udp") m.protocols = {protocol};
  else if (!m.ports.empty()) m.protocols = {"tcp", "udp"};
  return m;
}

Result<PortMatch> PortMatch::from_json(const nlohmann::json& record) {
  PortMatch m;
  try {
    for (const auto& r : record.value("ports", nlohmann::json::array())) {
      auto range = spec::parse_port_range(r.get<std::string>());
      if (!range) return range.error().with_context("heal record");
      m.ports.push_back(*range);
    }
    m.protocols = record.value("protocol", std::vector<std::string>{});
  } catch (const nlohmann::json::exception& e) {
    return invalid_input(fmt::format("heal record: ports/protocol malformed: {}", e.what()));
  }
  return m;
}

void PortMatch::to_json(nlohmann::json& record) const {
  if (!ports.empty()) {
    auto& out = record["ports"] = nlohmann::json::array();
    for (const auto& r : ports) out.push_back(range_text(r, '-'));
  }
  if (!protocols.empty()) record["protocol"] = protocols;
}

std::vector<Rule> PortMatch::alternatives() const {
  if (protocols.empty()) return {Rule{}};
  std::vector<Rule> out;
  for (const auto& p : protocols) {
    Rule r;
    r.protocol = p == "udp" ? Protocol::kUdp : Protocol::kTcp;
    r.ports = ports;
    out.push_back(std::move(r));
  }
  return out;
}

std::string PortMatch::describe() const {
  if (empty()) return "";
  std::vector<std::string> list;
  for (const auto& r : ports) list.push_back(range_text(r, '-'));
  std::string protos = fmt::format("{}", fmt::join(protocols, "/"));
  if (list.empty()) return fmt::format(" ({} only)", protos);
  return fmt::format(" ({} port{} {} only)", protos, list.size() > 1 ? "s" : "", fmt::join(list, ", "));
}

}  // namespace faultline::faults::net
