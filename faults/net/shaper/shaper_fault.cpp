#include "faults/net/shaper/shaper_fault.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cstring>

#include <fmt/format.h>

namespace faultline::faults::shaper {
namespace {

Error field_error(const std::string& kind, const std::string& field, const std::string& why) {
  return invalid_input(fmt::format("{} fault field \"{}\": {}", kind, field, why));
}

Result<double> percent_field(const nlohmann::json& params, const std::string& kind, const std::string& field,
                             std::optional<double> fallback) {
  auto it = params.find(field);
  if (it == params.end()) {
    if (fallback) return *fallback;
    return field_error(kind, field, "required (a percent such as 25 or \"25%\")");
  }
  double value;
  if (it->is_number()) {
    value = it->get<double>();
  } else if (it->is_string()) {
    std::string text = it->get<std::string>();
    if (!text.empty() && text.back() == '%') text.pop_back();
    char* end = nullptr;
    value = std::strtod(text.c_str(), &end);
    if (text.empty() || end != text.c_str() + text.size())
      return field_error(kind, field, fmt::format("'{}' is not a percent", it->get<std::string>()));
  } else {
    return field_error(kind, field, "must be a number or a string such as \"25%\"");
  }
  if (!(value >= 0 && value <= 100)) return field_error(kind, field, fmt::format("{} is outside 0..100", value));
  return value;
}

Result<Nanos> duration_field(const nlohmann::json& params, const std::string& kind, const std::string& field,
                             std::optional<Nanos> fallback) {
  auto it = params.find(field);
  if (it == params.end()) {
    if (fallback) return *fallback;
    return field_error(kind, field, "required (a duration such as \"50ms\")");
  }
  if (!it->is_string()) return field_error(kind, field, "must be a duration string such as \"50ms\"");
  auto parsed = parse_duration(it->get<std::string>());
  if (!parsed) return field_error(kind, field, parsed.error().message);
  return *parsed;
}

}  // namespace

Result<Prefix> Prefix::parse(const std::string& text) {
  Prefix prefix;
  std::string address = text;
  std::optional<int> length;
  if (auto slash = text.find('/'); slash != std::string::npos) {
    address = text.substr(0, slash);
    std::string len = text.substr(slash + 1);
    char* end = nullptr;
    long value = std::strtol(len.c_str(), &end, 10);
    if (len.empty() || *end != '\0' || value < 0) return invalid_input(fmt::format("'{}' is not an address or CIDR", text));
    length = static_cast<int>(value);
  }
  if (inet_pton(AF_INET, address.c_str(), prefix.bytes) == 1) {
    prefix.family = 4;
    prefix.length = length.value_or(32);
    if (prefix.length > 32) return invalid_input(fmt::format("'{}': prefix length over 32", text));
  } else if (inet_pton(AF_INET6, address.c_str(), prefix.bytes) == 1) {
    prefix.family = 6;
    prefix.length = length.value_or(128);
    if (prefix.length > 128) return invalid_input(fmt::format("'{}': prefix length over 128", text));
  } else {
    return invalid_input(fmt::format("'{}' is not an address or CIDR", text));
  }
  return prefix;
}

bool Prefix::contains(int address_family, const std::uint8_t* address) const {
  if (address_family != family) return false;
  int full = length / 8, rest = length % 8;
  if (std::memcmp(bytes, address, static_cast<std::size_t>(full)) != 0) return false;
  if (rest == 0) return true;
  std::uint8_t mask = static_cast<std::uint8_t>(0xff << (8 - rest));
  return (bytes[full] & mask) == (address[full] & mask);
}

std::string Prefix::to_string() const {
  char buffer[INET6_ADDRSTRLEN] = {};
  inet_ntop(family == 4 ? AF_INET : AF_INET6, bytes, buffer, sizeof buffer);
  int full = family == 4 ? 32 : 128;
  return length == full ? std::string(buffer) : fmt::format("{}/{}", buffer, length);
}

Result<ShaperFault> ShaperFault::parse(const FaultSpec& spec, const std::string& default_interface) {
  const auto& p = spec.params;
  ShaperFault fault;
  fault.kind = spec.kind;
  const std::string& k = spec.kind;
  if (k == "delay") {
    auto delay = duration_field(p, k, "delay", std::nullopt);
    if (!delay) return delay.error();
    auto jitter = duration_field(p, k, "jitter", Nanos{0});
    if (!jitter) return jitter.error();
    auto correlation = percent_field(p, k, "correlation", 0.0);
    if (!correlation) return correlation.error();
    fault.delay = *delay;
    fault.jitter = *jitter;
    fault.delay_correlation = *correlation;
    if (auto d = p.find("distribution"); d != p.end()) {
      if (!d->is_string()) return field_error(k, "distribution", "must be a string");
      auto dist = parse_distribution(d->get<std::string>());
      if (!dist) return field_error(k, "distribution", dist.error().message);
      if (*dist != Distribution::kUniform && fault.jitter == 0)
        return field_error(k, "distribution", "needs a \"jitter\" (netem ignores a distribution without one)");
      fault.distribution = *dist;
    }
  } else if (k == "reorder" || k == "duplicate" || k == "corrupt") {
    auto percent = percent_field(p, k, "percent", std::nullopt);
    if (!percent) return percent.error();
    auto correlation = percent_field(p, k, "correlation", 0.0);
    if (!correlation) return correlation.error();
    fault.percent = *percent;
    fault.correlation = *correlation;
    if (k == "reorder") {
      auto delay = duration_field(p, k, "delay", Nanos{10'000'000});  // netem mechanism's default too
      if (!delay) return delay.error();
      if (*delay <= 0)
        return field_error(k, "delay", "must be > 0: netem reorders by sending \"percent\" of packets at once "
                                       "and delaying the rest by \"delay\"");
      fault.delay = *delay;
      if (auto g = p.find("gap"); g != p.end()) {
        if (!g->is_number_unsigned() || g->get<std::uint64_t>() > 1'000'000)
          return field_error(k, "gap", "must be a non-negative integer");
        fault.gap = std::max<std::uint32_t>(g->get<std::uint32_t>(), 1);  // tc turns gap 0 into 1
      }
    }
    if (k == "corrupt") {
      if (auto r = p.find("recompute_checksum"); r != p.end()) {
        if (!r->is_boolean()) return field_error(k, "recompute_checksum", "must be true or false");
        fault.recompute_checksum = r->get<bool>();
      }
    }
  } else {
    return invalid_input(fmt::format("the NFQUEUE shaper does not serve fault kind '{}'", k));
  }
  if (auto d = p.find("destinations"); d != p.end()) {
    for (const auto& entry : *d) {
      auto prefix = Prefix::parse(entry.get<std::string>());
      if (!prefix) return field_error(k, "destinations", prefix.error().message);
      fault.destinations.push_back(*prefix);
    }
  }
  fault.interface = p.value("interface", default_interface);
  if (auto d = p.find("direction"); d != p.end()) {
    if (!d->is_string() || (*d != "egress" && *d != "ingress"))
      return field_error(k, "direction", "must be \"egress\" or \"ingress\"");
    fault.ingress = *d == "ingress";
  }
  return fault;
}

nlohmann::json ShaperFault::to_json() const {
  nlohmann::json j = {{"kind", kind},
                      {"delay_ns", delay},
                      {"jitter_ns", jitter},
                      {"delay_correlation", delay_correlation},
                      {"distribution", std::string(distribution_name(distribution))},
                      {"percent", percent},
                      {"correlation", correlation},
                      {"gap", gap},
                      {"recompute_checksum", recompute_checksum},
                      {"interface", interface},
                      {"direction", ingress ? "ingress" : "egress"}};
  auto& dst = j["destinations"] = nlohmann::json::array();
  for (const auto& prefix : destinations) dst.push_back(prefix.to_string());
  return j;
}

Result<ShaperFault> ShaperFault::from_json(const nlohmann::json& j) {
  if (!j.is_object()) return invalid_input("shaper record: \"shaper\" must be an object");
  ShaperFault fault;
  try {
    fault.kind = j.at("kind").get<std::string>();
    fault.delay = j.at("delay_ns").get<Nanos>();
    fault.jitter = j.at("jitter_ns").get<Nanos>();
    fault.delay_correlation = j.at("delay_correlation").get<double>();
    auto dist = parse_distribution(j.at("distribution").get<std::string>());
    if (!dist) return dist.error().with_context("shaper record");
    fault.distribution = *dist;
    fault.percent = j.at("percent").get<double>();
    fault.correlation = j.at("correlation").get<double>();
    fault.gap = j.at("gap").get<std::uint32_t>();
    fault.recompute_checksum = j.at("recompute_checksum").get<bool>();
    fault.interface = j.at("interface").get<std::string>();
    fault.ingress = j.value("direction", std::string("egress")) == "ingress";  // records before ingress: egress
    for (const auto& d : j.at("destinations")) {
      auto prefix = Prefix::parse(d.get<std::string>());
      if (!prefix) return prefix.error().with_context("shaper record");
      fault.destinations.push_back(*prefix);
    }
  } catch (const nlohmann::json::exception& e) {
    return invalid_input(fmt::format("shaper record is malformed: {}", e.what()));
  }
  return fault;
}

std::string ShaperFault::describe() const {
  std::string what;
  if (kind == "delay") {
    what = fmt::format("delay {}", format_duration(delay));
    if (jitter) what += fmt::format(" ± {} {}", format_duration(jitter), distribution_name(distribution));
    if (delay_correlation) what += fmt::format(" correlation {}%", delay_correlation);
  } else if (kind == "reorder") {
    what = fmt::format("reorder {}% at once, the rest delayed {}", percent, format_duration(delay));
    if (gap > 1) what += fmt::format(" gap {}", gap);
  } else if (kind == "corrupt") {
    what = fmt::format("corrupt {}% ({})", percent, recompute_checksum ? "checksum recomputed" : "checksum stale");
  } else {
    what = fmt::format("{} {}%", kind, percent);
  }
  if (correlation) what += fmt::format(" correlation {}%", correlation);
  std::string where = interface.empty() ? "all interfaces but lo" : interface;
  if (ingress) where = "incoming packets on " + where;
  if (!destinations.empty()) {
    where += ingress ? " from" : " to";
    for (std::size_t i = 0; i < destinations.size(); ++i)
      where += (i ? ", " : " ") + destinations[i].to_string();
  }
  return fmt::format("{} on {} (NFQUEUE shaper)", what, where);
}

bool ShaperFault::matches_destination(int family, const std::uint8_t* address) const {
  if (destinations.empty()) return true;
  for (const auto& prefix : destinations)
    if (prefix.contains(family, address)) return true;
  return false;
}

}  // namespace faultline::faults::shaper
