#include "faults/net/tbf.h"

#include <netlink/errno.h>
#include <netlink/route/qdisc.h>
#include <netlink/route/qdisc/tbf.h>

#include <algorithm>
#include <fmt/format.h>

#include "faults/net/net_params.h"
#include "faults/net/tc_qdisc.h"
#include "faults/registry.h"

namespace faultline::faults::net {

Result<TbfParams> tbf_params_from_spec(const FaultSpec& spec) {
  TbfParams p;
  auto rate_it = spec.params.find("rate");
  if (rate_it == spec.params.end() || !rate_it->is_string())
    return invalid_input("bandwidth: field \"rate\" is required, e.g. \"1mbit\"");
  auto rate = parse_rate(rate_it->get<std::string>());
  if (!rate) return rate.error().with_context("bandwidth: field \"rate\"");
  if (*rate / 8 > 0x7fffffffULL) return invalid_input("bandwidth: \"rate\" above 17gbit is not supported by tbf here");
  p.rate_bps = *rate;
  p.burst_bytes = static_cast<std::uint32_t>(std::max<std::uint64_t>(p.rate_bps / 8 / 100, 3028));
  if (auto b = spec.params.find("burst"); b != spec.params.end()) {
    if (!b->is_string()) return invalid_input("bandwidth: field \"burst\" must be a size such as \"32KiB\"");
    auto size = parse_size(b->get<std::string>());
    if (!size) return size.error().with_context("bandwidth: field \"burst\"");
    if (*size < 1600 || *size > (1u << 30))
      return invalid_input("bandwidth: \"burst\" must be between 1600 bytes (one frame) and 1GiB");
    p.burst_bytes = static_cast<std::uint32_t>(*size);
  }
  auto latency = parse_duration_us(spec.params, "latency", 50000);
  if (!latency) return latency.error().with_context("bandwidth");
  if (*latency <= 0) return invalid_input("bandwidth: \"latency\" must be > 0");
  p.latency_us = *latency;
  return p;
}

Result<void> configure_tbf(rtnl_qdisc* q, const TbfParams& p) {
  rtnl_qdisc_tbf_set_rate(q, static_cast<int>(p.rate_bps / 8), static_cast<int>(p.burst_bytes), 0);
  if (int err = rtnl_qdisc_tbf_set_limit_by_latency(q, static_cast<int>(p.latency_us)); err < 0)
    return internal_error(fmt::format("libnl tbf limit: {}", nl_geterror(err)));
  return ok_result();
}

Availability TbfBandwidth::probe(const HostContext&) const {
  Availability a;
  a.mechanism = "tbf";
  auto supported = kernel_supports_qdisc("tbf");
  a.available = supported.ok();
  if (!supported) a.reason = supported.error().message;
  return a;
}

Result<HealRecord> TbfBandwidth::plan(const FaultSpec& spec, const HostContext& host) {
  auto params = tbf_params_from_spec(spec);
  if (!params) return params.error();
  auto destinations = parse_prefix_list(spec.params, "destinations", false);
  if (!destinations) return destinations.error().with_context("bandwidth");
  auto interface = resolve_interface(spec, host);
  if (!interface) return interface.error().with_context("bandwidth");
  return HealRecord{{"interface", *interface},
                    {"destinations", prefix_texts(*destinations)},
                    {"rate_bps", params->rate_bps},
                    {"burst_bytes", params->burst_bytes},
                    {"latency_us", params->latency_us}};
}

Result<void> TbfBandwidth::apply(const HealRecord& record, const HostContext&) {
  TbfParams p;
  p.rate_bps = record.value("rate_bps", std::uint64_t{0});
  p.burst_bytes = record.value("burst_bytes", std::uint32_t{3028});
  p.latency_us = record.value("latency_us", std::int64_t{50000});
  if (p.rate_bps == 0) return invalid_input("bandwidth record has no \"rate_bps\"");
  auto destinations = prefixes_from_record(record, "destinations");
  if (!destinations) return destinations.error().with_context("bandwidth record");
  auto installed = install_qdisc(
      record.value("interface", ""), "tbf", [&](rtnl_qdisc* q) { return configure_tbf(q, p); }, *destinations,
      record.value("match_source", false));
  if (!installed) return installed.error();
  return ok_result();
}

Result<void> TbfBandwidth::heal(const HealRecord& record, const HostContext&) {
  if (!record.contains("interface") || !record["interface"].is_string())
    return invalid_input("bandwidth record has no \"interface\"");
  return remove_our_qdisc(record["interface"].get<std::string>(), {"tbf", "prio", "htb"});
}

std::string TbfBandwidth::describe(const HealRecord& record) const {
  auto destinations = prefixes_from_record(record, "destinations");
  std::string to = destinations && !destinations->empty() ? " towards " + join_prefixes(*destinations) : "";
  double kbit = static_cast<double>(record.value("rate_bps", std::uint64_t{0})) / 1000.0;
  return fmt::format("bandwidth: {} kbit/s out of {}{} (tbf, qdisc fa17:)", kbit, record.value("interface", "?"), to);
}

FAULTLINE_REGISTER_MECHANISM("bandwidth", 0, TbfBandwidth);

}  // namespace faultline::faults::net
