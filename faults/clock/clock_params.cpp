#include "faults/clock/clock_params.h"

#include <cmath>
#include <string>

#include <fmt/format.h>

#include "faults/clock/clock_page.h"

namespace faultline::faults::clock {

Result<std::int64_t> parse_offset(const FaultSpec& spec) {
  auto it = spec.params.find("offset");
  if (it == spec.params.end() || !it->is_string())
    return invalid_input("clock-skew needs a string field \"offset\" such as \"+5s\" or \"-2s\"");
  std::string text = it->get<std::string>();
  bool negative = false;
  std::string_view body = text;
  if (!body.empty() && (body[0] == '+' || body[0] == '-')) {
    negative = body[0] == '-';
    body.remove_prefix(1);
  }
  auto ns = parse_duration(body);
  if (!ns) return ns.error().with_context("clock-skew field \"offset\"");
  return negative ? -*ns : *ns;
}

Result<std::int64_t> parse_rate_ppb(const FaultSpec& spec) {
  auto it = spec.params.find("rate");
  if (it == spec.params.end() || !it->is_number())
    return invalid_input("clock-drift needs a number field \"rate\" such as 1.05 or 2");
  double rate = it->get<double>();
  if (!(rate > 0) || rate > 1000)
    return invalid_input(fmt::format("clock-drift field \"rate\" {} must be > 0 and <= 1000", rate));
  return static_cast<std::int64_t>(std::llround(rate * 1e9));
}

Result<int> parse_slots(const FaultSpec& spec) {
  if (auto m = spec.params.find("monotonic"); m != spec.params.end()) {
    if (!m->is_boolean()) return invalid_input("clock field \"monotonic\" must be true or false");
    if (m->get<bool>()) return (1 << kRealtime) | (1 << kMonotonic) | (1 << kBoottime);
  }
  auto it = spec.params.find("clocks");
  if (it == spec.params.end()) return 1 << kRealtime;
  if (!it->is_array() || it->empty())
    return invalid_input("clock field \"clocks\" must be a non-empty list of \"realtime\", \"monotonic\", \"boottime\"");
  int slots = 0;
  for (const auto& c : *it) {
    std::string name = c.is_string() ? c.get<std::string>() : c.dump();
    if (name == "realtime") slots |= 1 << kRealtime;
    else if (name == "monotonic") slots |= 1 << kMonotonic;
    else if (name == "boottime") slots |= 1 << kBoottime;
    else return invalid_input(fmt::format("clock field \"clocks\": unknown clock '{}' (realtime, monotonic, boottime)", name));
  }
  return slots;
}

}  // namespace faultline::faults::clock
