// check_value (validate.h): one value against one field's type and range.
#include <arpa/inet.h>

#include <cmath>
#include <cstring>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "common/units.h"
#include "faults/spec/validate.h"
#include "faults/spec/values.h"

namespace faultline::faults::spec {
namespace {

std::optional<std::string> in_range(const FieldSpec& f, double v, const std::string& shown) {
  if (!std::isfinite(v)) return fmt::format("{} is not a finite number", shown);
  if (f.min && (f.min_exclusive ? v <= *f.min : v < *f.min))
    return fmt::format("{} is out of range: {}", shown, type_text(f));
  if (f.max && v > *f.max) return fmt::format("{} is out of range: {}", shown, type_text(f));
  return std::nullopt;
}

std::optional<std::string> one_choice(const FieldSpec& f, const nlohmann::json& v) {
  if (!v.is_string()) return fmt::format("{} is not one of: {}", v.dump(), fmt::join(f.choices, ", "));
  const auto text = v.get<std::string>();
  for (const auto& c : f.choices)
    if (c == text) return std::nullopt;
  return fmt::format("'{}' is not one of: {}", text, fmt::join(f.choices, ", "));
}

std::optional<std::string> one_port(const nlohmann::json& v) {
  auto valid = [](long long p) { return p >= 1 && p <= 65535; };
  if (v.is_number_integer()) {
    if (!valid(v.get<long long>())) return fmt::format("port {} is outside 1..65535", v.dump());
    return std::nullopt;
  }
  if (v.is_string()) {
    auto ports = parse_port_range(v.get<std::string>());
    if (!ports) return ports.error().message;
    return std::nullopt;
  }
  return fmt::format("{} is not a port or a range \"LOW-HIGH\"", v.dump());
}

}  // namespace

Result<std::pair<std::uint16_t, std::uint16_t>> parse_port_range(const std::string& text) {
  auto number = [](const std::string& s) -> long {
    if (s.empty() || s.size() > 5 || s.find_first_not_of("0123456789") != std::string::npos) return -1;
    return std::stol(s);
  };
  auto dash = text.find('-');
  long lo = number(text.substr(0, dash));
  long hi = dash == std::string::npos ? lo : number(text.substr(dash + 1));
  if (lo < 1 || lo > 65535 || hi < 1 || hi > 65535 || lo > hi)
    return invalid_input(fmt::format("'{}' is not a port (1..65535) or a range \"LOW-HIGH\"", text));
  return std::pair{static_cast<std::uint16_t>(lo), static_cast<std::uint16_t>(hi)};
}

Result<double> parse_percent_value(const nlohmann::json& v) {
  double value = 0;
  if (v.is_number()) {
    value = v.get<double>();
  } else if (v.is_string()) {
    std::string s = v.get<std::string>();
    if (!s.empty() && s.back() == '%') s.pop_back();
    char* end = nullptr;
    value = std::strtod(s.c_str(), &end);
    if (s.empty() || end != s.c_str() + s.size())
      return invalid_input(fmt::format("'{}' is not a percentage", v.get<std::string>()));
  } else {
    return invalid_input(fmt::format("{} is not a percentage (a number, or a string such as \"30%\")", v.dump()));
  }
  if (!std::isfinite(value) || value < 0 || value > 100)
    return invalid_input(fmt::format("{} is outside 0..100 percent", value));
  return value;
}

Result<std::uint64_t> parse_rate(const std::string& text) {
  std::size_t i = 0;
  while (i < text.size() && (std::isdigit(static_cast<unsigned char>(text[i])) || text[i] == '.')) ++i;
  if (i == 0) return invalid_input(fmt::format("'{}' is not a rate such as \"1mbit\"", text));
  double number = std::strtod(text.substr(0, i).c_str(), nullptr);
  std::string unit = text.substr(i);
  for (auto& c : unit) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  double factor = 0;
  if (unit == "bit") factor = 1;
  else if (unit == "bps") factor = 8;
  else if (unit == "kbit") factor = 1e3;
  else if (unit == "mbit") factor = 1e6;
  else if (unit == "gbit") factor = 1e9;
  else if (unit == "kbps") factor = 8e3;
  else if (unit == "mbps") factor = 8e6;
  else if (unit == "gbps") factor = 8e9;
  else return invalid_input(fmt::format("'{}': unknown rate unit '{}' (use bit, kbit, mbit, gbit, bps, kbps, mbps, gbps)", text, unit));
  double bits = number * factor;
  if (!std::isfinite(bits) || bits < 8 || bits > 32e9)
    return invalid_input(fmt::format("rate '{}' out of range (8bit .. 32gbit)", text));
  return static_cast<std::uint64_t>(bits);
}

bool is_ipv4_prefix(const std::string& text) {
  std::string address = text;
  if (auto slash = text.find('/'); slash != std::string::npos) {
    address = text.substr(0, slash);
    auto len = text.substr(slash + 1);
    if (len.empty() || len.size() > 2 || len.find_first_not_of("0123456789") != std::string::npos || std::stoi(len) > 32)
      return false;
  }
  in_addr a{};
  return ::inet_pton(AF_INET, address.c_str(), &a) == 1;
}

std::optional<std::string> check_value(const FieldSpec& f, const nlohmann::json& v) {
  switch (f.type) {
    case FieldType::kString:
      if (!v.is_string()) return fmt::format("{} is not a string", v.dump());
      return std::nullopt;
    case FieldType::kEnum:
      return one_choice(f, v);
    case FieldType::kEnumList:
      if (v.is_array()) {
        if (v.empty()) return fmt::format("must list at least one of: {}", fmt::join(f.choices, ", "));
        for (const auto& item : v)
          if (auto bad = one_choice(f, item)) return bad;
        return std::nullopt;
      }
      return one_choice(f, v);
    case FieldType::kBool:
      if (!v.is_boolean()) return fmt::format("{} is not true or false", v.dump());
      return std::nullopt;
    case FieldType::kInteger:
      if (!v.is_number_integer()) return fmt::format("{} is not an integer", v.dump());
      return in_range(f, v.get<double>(), v.dump());
    case FieldType::kNumber:
      if (!v.is_number()) return fmt::format("{} is not a number", v.dump());
      return in_range(f, v.get<double>(), v.dump());
    case FieldType::kPercent: {
      auto p = parse_percent_value(v);
      if (!p) return p.error().message;
      return in_range(f, *p, v.dump());
    }
    case FieldType::kDuration: {
      if (!v.is_string()) return fmt::format("{} is not a duration string such as \"50ms\"", v.dump());
      auto ns = parse_duration(v.get<std::string>());
      if (!ns) return ns.error().message;
      if (*ns < 0) return fmt::format("'{}' is negative", v.get<std::string>());
      return in_range(f, static_cast<double>(*ns), "'" + v.get<std::string>() + "'");
    }
    case FieldType::kSignedDuration: {
      if (!v.is_string()) return fmt::format("{} is not a duration string such as \"+5s\" or \"-2s\"", v.dump());
      std::string_view body = v.get_ref<const std::string&>();
      if (!body.empty() && (body[0] == '+' || body[0] == '-')) body.remove_prefix(1);
      auto ns = parse_duration(body);
      if (!ns) return ns.error().message;
      return std::nullopt;
    }
    case FieldType::kSize: {
      double bytes = 0;
      if (v.is_number_integer() && v.get<long long>() >= 0) bytes = v.get<double>();
      else if (v.is_string()) {
        auto parsed = parse_size(v.get<std::string>());
        if (!parsed) return parsed.error().message;
        bytes = static_cast<double>(*parsed);
      } else {
        return fmt::format("{} is not a size (a byte count, or a string such as \"1MiB\")", v.dump());
      }
      return in_range(f, bytes, v.dump());
    }
    case FieldType::kRate: {
      if (!v.is_string()) return fmt::format("{} is not a rate string such as \"1mbit\"", v.dump());
      auto r = parse_rate(v.get<std::string>());
      if (!r) return r.error().message;
      return std::nullopt;
    }
    case FieldType::kAddresses: {
      if (!v.is_array()) return fmt::format("{} is not a list of IPv4 addresses", v.dump());
      if (v.empty()) return std::string("must list at least one address");
      for (const auto& item : v)
        if (!item.is_string() || !is_ipv4_prefix(item.get<std::string>()))
          return fmt::format("{} is not an IPv4 address or CIDR block", item.dump());
      return std::nullopt;
    }
    case FieldType::kErrno: {
      if (v.is_number_integer()) {
        if (v.get<long long>() < 1 || v.get<long long>() > 4095) return fmt::format("errno {} is outside 1..4095", v.dump());
        return std::nullopt;
      }
      if (v.is_string()) {
        for (int n = 1; n < 200; ++n)
          if (const char* name = ::strerrorname_np(n); name && v.get<std::string>() == name) return std::nullopt;
        return fmt::format("'{}' is not an errno name such as EIO, ENOSPC or EROFS", v.get<std::string>());
      }
      return fmt::format("{} is not an errno name such as \"EIO\" or a number", v.dump());
    }
    case FieldType::kPorts: {
      if (v.is_array()) {
        if (v.empty()) return std::string("must list at least one port");
        if (v.size() > 15) return std::string("at most 15 ports or ranges (iptables multiport's limit)");
        for (const auto& item : v)
          if (auto bad = one_port(item)) return bad;
        return std::nullopt;
      }
      return one_port(v);
    }
    case FieldType::kGrudge:
      if (!v.is_object()) return fmt::format("{} is not a map of node -> list of nodes", v.dump());
      for (const auto& [node, dropped] : v.items()) {
        if (!dropped.is_array()) return fmt::format("\"{}\": {} is not a list of nodes", node, dropped.dump());
        for (const auto& other : dropped)
          if (!other.is_string()) return fmt::format("\"{}\": {} is not a node name", node, other.dump());
      }
      return std::nullopt;
  }
  return std::string("unknown field type");
}

}  // namespace faultline::faults::spec
