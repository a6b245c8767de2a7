#include "faults/net/net_params.h"

#include "faults/spec/values.h"

#include <arpa/inet.h>
#include <net/if.h>

#include <cmath>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <fstream>
#include <sstream>

namespace faultline::faults::net {

std::string Ipv4Prefix::text() const {
  in_addr a{htonl(address)};
  char buffer[INET_ADDRSTRLEN] = {};
  ::inet_ntop(AF_INET, &a, buffer, sizeof buffer);
  return length == 32 ? std::string(buffer) : fmt::format("{}/{}", buffer, length);
}

Result<Ipv4Prefix> parse_ipv4_prefix(const std::string& text) {
  Ipv4Prefix p;
  std::string addr = text;
  if (auto slash = text.find('/'); slash != std::string::npos) {
    addr = text.substr(0, slash);
    auto len = text.substr(slash + 1);
    if (len.empty() || len.size() > 2 || len.find_first_not_of("0123456789") != std::string::npos ||
        std::stoi(len) > 32)
      return invalid_input(fmt::format("'{}' is not an IPv4 address or CIDR block (bad prefix length)", text));
    p.length = std::stoi(len);
  }
  in_addr a{};
  if (::inet_pton(AF_INET, addr.c_str(), &a) != 1)
    return invalid_input(fmt::format("'{}' is not an IPv4 address or CIDR block", text));
  p.address = ntohl(a.s_addr) & p.mask();
  return p;
}

Result<std::vector<Ipv4Prefix>> parse_prefix_list(const nlohmann::json& spec, const std::string& field,
                                                  bool required) {
  std::vector<Ipv4Prefix> out;
  auto it = spec.find(field);
  if (it == spec.end() || it->is_null()) {
    if (required) return invalid_input(fmt::format("field \"{}\" is required (an array of IPv4 addresses)", field));
    return out;
  }
  if (!it->is_array()) return invalid_input(fmt::format("field \"{}\" must be an array of IPv4 addresses", field));
  for (std::size_t i = 0; i < it->size(); ++i) {
    const auto& item = (*it)[i];
    if (!item.is_string())
      return invalid_input(fmt::format("field \"{}\"[{}] must be a string address", field, i));
    auto p = parse_ipv4_prefix(item.get<std::string>());
    if (!p) return p.error().with_context(fmt::format("field \"{}\"[{}]", field, i));
    out.push_back(*p);
  }
  if (required && out.empty()) return invalid_input(fmt::format("field \"{}\" must list at least one address", field));
  return out;
}

Result<double> parse_percent(const nlohmann::json& spec, const std::string& field, double fallback) {
  auto it = spec.find(field);
  if (it == spec.end() || it->is_null()) return fallback;
  double value = 0;
  if (it->is_number()) {
    value = it->get<double>();
  } else if (it->is_string()) {
    std::string s = it->get<std::string>();
    if (!s.empty() && s.back() == '%') s.pop_back();
    char* end = nullptr;
    value = std::strtod(s.c_str(), &end);
    if (s.empty() || end != s.c_str() + s.size())
      return invalid_input(fmt::format("field \"{}\": '{}' is not a percentage", field, it->get<std::string>()));
  } else {
    return invalid_input(fmt::format("field \"{}\" must be a number of percent (0..100)", field));
  }
  if (!std::isfinite(value) || value < 0 || value > 100)
    return invalid_input(fmt::format("field \"{}\" must be between 0 and 100 percent, got {}", field, value));
  return value;
}

Result<std::int64_t> parse_duration_us(const nlohmann::json& spec, const std::string& field, std::int64_t fallback) {
  auto it = spec.find(field);
  if (it == spec.end() || it->is_null()) return fallback;
  if (!it->is_string()) return invalid_input(fmt::format("field \"{}\" must be a duration string such as \"50ms\"", field));
  auto ns = parse_duration(it->get<std::string>());
  if (!ns) return ns.error().with_context(fmt::format("field \"{}\"", field));
  if (*ns / 1000 > 0x7fffffffLL) return invalid_input(fmt::format("field \"{}\" is too long", field));
  return *ns / 1000;
}

Result<std::uint64_t> parse_rate(const std::string& text) { return spec::parse_rate(text); }

namespace {

bool interface_exists(const std::string& name) { return ::if_nametoindex(name.c_str()) != 0; }

std::string default_route_interface() {
  std::ifstream routes("/proc/thread-self/net/route");
  std::string line;
  std::getline(routes, line);  // header
  while (std::getline(routes, line)) {
    std::istringstream fields(line);
    std::string iface, destination, gateway, flags, refcnt, use, metric, mask;
    fields >> iface >> destination >> gateway >> flags >> refcnt >> use >> metric >> mask;
    if (destination == "00000000" && mask == "00000000") return iface;
  }
  return {};
}

}  // namespace

Result<std::string> resolve_interface(const FaultSpec& spec, const HostContext& host) {
  std::string name;
  if (auto it = spec.params.find("interface"); it != spec.params.end() && it->is_string()) name = it->get<std::string>();
  else if (!host.default_interface.empty()) name = host.default_interface;
  else name = default_route_interface();
  if (!name.empty()) {
    if (!interface_exists(name)) return invalid_input(fmt::format("interface '{}' does not exist on this host", name));
    return name;
  }
  std::vector<std::string> candidates;
  if (auto* list = ::if_nameindex()) {
    for (auto* p = list; p->if_index != 0; ++p) {
      std::string n = p->if_name;
      if (n == "lo") continue;
      candidates.push_back(n);
    }
    ::if_freenameindex(list);
  }
  if (candidates.size() == 1) return candidates.front();
  return invalid_input(fmt::format(
      "no \"interface\" given, no default interface configured and no default route; choose one of: {}",
      fmt::join(candidates, ", ")));
}

std::vector<std::string> prefix_texts(const std::vector<Ipv4Prefix>& prefixes) {
  std::vector<std::string> out;
  for (const auto& p : prefixes) out.push_back(p.text());
  return out;
}

std::string join_prefixes(const std::vector<Ipv4Prefix>& prefixes) { return fmt::format("{}", fmt::join(prefix_texts(prefixes), ", ")); }

Result<std::vector<Ipv4Prefix>> prefixes_from_record(const nlohmann::json& record, const std::string& field) {
  return parse_prefix_list(record, field, false);
}

}  // namespace faultline::faults::net
