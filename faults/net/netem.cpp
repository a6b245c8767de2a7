#include "faults/net/netem.h"

#include <netlink/errno.h>
#include <netlink/route/qdisc.h>
#include <netlink/route/qdisc/netem.h>
#include <netlink/route/tc.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <fstream>
#include <vector>

#include "faults/net/net_params.h"
#include "faults/net/tc_qdisc.h"
#include "faults/registry.h"

namespace faultline::faults::net {
namespace {

constexpr std::size_t kMaxDist = 65536;  // netem's limit on table entries

std::vector<std::filesystem::path> table_dirs() {
  std::vector<std::filesystem::path> dirs;
  if (const char* env = std::getenv("TC_LIB_DIR")) dirs.emplace_back(env);
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/usr/lib", ec)) {
    auto name = entry.path().filename().string();
    if (name.find("-linux-") != std::string::npos) dirs.push_back(entry.path() / "tc");
  }
  for (const char* d : {"/usr/lib64/tc", "/usr/lib/tc", "/usr/local/lib/tc"}) dirs.emplace_back(d);
  return dirs;
}

Result<std::vector<std::int16_t>> load_table(const std::string& path) {
  std::ifstream in(path);
  if (!in) return io_error(fmt::format("cannot read distribution table {}", path));
  std::vector<std::int16_t> data;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    const char* p = line.c_str();
    for (;;) {
      char* end = nullptr;
      long x = std::strtol(p, &end, 0);
      if (end == p) break;
      if (data.size() >= kMaxDist) return invalid_input(fmt::format("distribution table {} is too large", path));
      data.push_back(static_cast<std::int16_t>(x));
      p = end;
    }
  }
  if (data.empty()) return invalid_input(fmt::format("distribution table {} is empty", path));
  return data;
}

Result<double> percent_field(const FaultSpec& spec, const char* field, bool required) {
  if (required && !spec.params.contains(field))
    return invalid_input(fmt::format("{}: field \"{}\" is required (0..100)", spec.kind, field));
  auto v = parse_percent(spec.params, field, 0);
  if (!v) return v.error().with_context(spec.kind);
  return *v;
}

}  // namespace

std::uint32_t netem_probability(double percent) {
  if (percent <= 0) return 0;
  if (percent >= 100) return UINT32_MAX;
  return static_cast<std::uint32_t>(std::llround(percent / 100.0 * static_cast<double>(UINT32_MAX)));
}

Result<std::string> find_distribution_table(const std::string& name) {
  std::vector<std::string> searched;
  for (const auto& dir : table_dirs()) {
    auto path = dir / (name + ".dist");
    std::error_code ec;
    if (std::filesystem::is_regular_file(path, ec)) return path.string();
    searched.push_back(dir.string());
  }
  return unavailable(fmt::format("delay distribution '{}' needs {}.dist (shipped with iproute2/tc); not found in {}",
                                 name, name, fmt::join(searched, ", ")));
}

Result<NetemParams> NetemParams::from_spec(const FaultSpec& spec) {
  NetemParams p;
  const auto& s = spec.params;
  if (spec.kind == "delay") {
    if (!s.contains("delay")) return invalid_input("delay: field \"delay\" is required, e.g. \"50ms\"");
    auto delay = parse_duration_us(s, "delay", 0);
    if (!delay) return delay.error().with_context("delay");
    auto jitter = parse_duration_us(s, "jitter", 0);
    if (!jitter) return jitter.error().with_context("delay");
    auto corr = percent_field(spec, "correlation", false);
    if (!corr) return corr.error();
    p.delay_us = *delay;
    p.jitter_us = *jitter;
    p.delay_correlation = *corr;
    if (auto d = s.find("distribution"); d != s.end()) {
      if (!d->is_string()) return invalid_input("delay: field \"distribution\" must be a string");
      auto name = d->get<std::string>();
      if (name != "normal" && name != "pareto" && name != "paretonormal" && name != "uniform")
        return invalid_input(fmt::format(
            "delay: field \"distribution\": '{}' is not one of normal, pareto, paretonormal, uniform", name));
      if (p.jitter_us == 0) return invalid_input("delay: a \"distribution\" needs a \"jitter\"");
      if (name != "uniform") {
        auto table = find_distribution_table(name);
        if (!table) return table.error();
        p.distribution = name;
      }
    }
    if (p.jitter_us > 0 && p.delay_correlation > 0 && p.delay_us == 0)
      return invalid_input("delay: \"correlation\" needs a non-zero \"delay\"");
  } else if (spec.kind == "loss") {
    auto v = percent_field(spec, "percent", true);
    if (!v) return v.error();
    auto c = percent_field(spec, "correlation", false);
    if (!c) return c.error();
    p.loss = *v;
    p.loss_correlation = *c;
  } else if (spec.kind == "duplicate") {
    auto v = percent_field(spec, "percent", true);
    if (!v) return v.error();
    auto c = percent_field(spec, "correlation", false);
    if (!c) return c.error();
    p.duplicate = *v;
    p.duplicate_correlation = *c;
  } else if (spec.kind == "corrupt") {
    auto v = percent_field(spec, "percent", true);
    if (!v) return v.error();
    auto c = percent_field(spec, "correlation", false);
    if (!c) return c.error();
    p.corrupt = *v;
    p.corrupt_correlation = *c;
  } else if (spec.kind == "reorder") {
    auto v = percent_field(spec, "percent", true);
    if (!v) return v.error();
    auto c = percent_field(spec, "correlation", false);
    if (!c) return c.error();
    auto delay = parse_duration_us(s, "delay", 10000);
    if (!delay) return delay.error().with_context("reorder");
    if (*delay == 0) return invalid_input("reorder: \"delay\" must be > 0 (netem reorders by delaying the others)");
    p.reorder = *v;
    p.reorder_correlation = *c;
    p.delay_us = *delay;
    if (auto g = s.find("gap"); g != s.end()) {
      if (!g->is_number_integer() || g->get<int>() < 0) return invalid_input("reorder: \"gap\" must be a non-negative integer");
      p.gap = g->get<int>();
    }
  } else {
    return invalid_input(fmt::format("netem does not serve fault kind '{}'", spec.kind));
  }
  return p;
}

nlohmann::json NetemParams::to_json() const {
  return {{"delay_us", delay_us},   {"jitter_us", jitter_us},
          {"delay_correlation", delay_correlation}, {"distribution", distribution},
          {"loss", loss},           {"loss_correlation", loss_correlation},
          {"duplicate", duplicate}, {"duplicate_correlation", duplicate_correlation},
          {"corrupt", corrupt},     {"corrupt_correlation", corrupt_correlation},
          {"reorder", reorder},     {"reorder_correlation", reorder_correlation},
          {"gap", gap},             {"limit", limit}};
}

Result<NetemParams> NetemParams::from_json(const nlohmann::json& j) {
  if (!j.is_object()) return invalid_input("netem record: \"netem\" must be an object");
  NetemParams p;
  try {
    p.delay_us = j.value("delay_us", std::int64_t{0});
    p.jitter_us = j.value("jitter_us", std::int64_t{0});
    p.delay_correlation = j.value("delay_correlation", 0.0);
    p.distribution = j.value("distribution", std::string());
    p.loss = j.value("loss", 0.0);
    p.loss_correlation = j.value("loss_correlation", 0.0);
    p.duplicate = j.value("duplicate", 0.0);
    p.duplicate_correlation = j.value("duplicate_correlation", 0.0);
    p.corrupt = j.value("corrupt", 0.0);
    p.corrupt_correlation = j.value("corrupt_correlation", 0.0);
    p.reorder = j.value("reorder", 0.0);
    p.reorder_correlation = j.value("reorder_correlation", 0.0);
    p.gap = j.value("gap", 0);
    p.limit = j.value("limit", 1000);
  } catch (const nlohmann::json::exception& e) {
    return invalid_input(fmt::format("netem record: {}", e.what()));
  }
  return p;
}

std::string NetemParams::summary() const {
  std::vector<std::string> parts;
  if (reorder > 0) {
    parts.push_back(fmt::format("reorder {}% (others delayed {})", reorder, format_duration(delay_us * 1000)));
  } else if (delay_us > 0 || jitter_us > 0) {
    std::string d = fmt::format("delay {}", format_duration(delay_us * 1000));
    if (jitter_us > 0) d += fmt::format(" ± {}", format_duration(jitter_us * 1000));
    if (!distribution.empty()) d += fmt::format(" ({})", distribution);
    parts.push_back(d);
  }
  if (loss > 0) parts.push_back(fmt::format("loss {}%", loss));
  if (duplicate > 0) parts.push_back(fmt::format("duplicate {}%", duplicate));
  if (corrupt > 0) parts.push_back(fmt::format("corrupt {}%", corrupt));
  return parts.empty() ? std::string("no impairment") : fmt::format("{}", fmt::join(parts, ", "));
}

Result<void> configure_netem(rtnl_qdisc* q, const NetemParams& p) {
  rtnl_netem_set_limit(q, p.limit);
  if (p.delay_us > 0) rtnl_netem_set_delay(q, static_cast<int>(p.delay_us));
  if (p.jitter_us > 0) rtnl_netem_set_jitter(q, static_cast<int>(p.jitter_us));
  if (p.delay_correlation > 0)
    rtnl_netem_set_delay_correlation(q, static_cast<int>(netem_probability(p.delay_correlation)));
  if (p.loss > 0) rtnl_netem_set_loss(q, static_cast<int>(netem_probability(p.loss)));
  if (p.loss_correlation > 0) rtnl_netem_set_loss_correlation(q, static_cast<int>(netem_probability(p.loss_correlation)));
  if (p.duplicate > 0) rtnl_netem_set_duplicate(q, static_cast<int>(netem_probability(p.duplicate)));
  if (p.duplicate_correlation > 0)
    rtnl_netem_set_duplicate_correlation(q, static_cast<int>(netem_probability(p.duplicate_correlation)));
  if (p.corrupt > 0) rtnl_netem_set_corruption_probability(q, static_cast<int>(netem_probability(p.corrupt)));
  if (p.corrupt_correlation > 0)
    rtnl_netem_set_corruption_correlation(q, static_cast<int>(netem_probability(p.corrupt_correlation)));
  if (p.reorder > 0) {
    rtnl_netem_set_reorder_probability(q, static_cast<int>(netem_probability(p.reorder)));
    if (p.reorder_correlation > 0)
      rtnl_netem_set_reorder_correlation(q, static_cast<int>(netem_probability(p.reorder_correlation)));
    if (p.gap > 0) rtnl_netem_set_gap(q, p.gap);
  }
  if (!p.distribution.empty()) {
    auto path = find_distribution_table(p.distribution);
    if (!path) return path.error();
    auto table = load_table(*path);
    if (!table) return table.error();
    if (int err = rtnl_netem_set_delay_distribution_data(q, table->data(), table->size()); err < 0)
      return internal_error(fmt::format("libnl rejected distribution table {}: {}", *path, nl_geterror(err)));
  }
  return ok_result();
}

Result<rtnl_qdisc*> build_netem_qdisc(const NetemParams& params, int ifindex, std::uint32_t parent,
                                      std::uint32_t handle) {
  rtnl_qdisc* q = rtnl_qdisc_alloc();
  if (!q) return io_error("libnl: cannot allocate qdisc");
  rtnl_tc_set_ifindex(TC_CAST(q), ifindex);
  rtnl_tc_set_parent(TC_CAST(q), parent);
  rtnl_tc_set_handle(TC_CAST(q), handle);
  if (int err = rtnl_tc_set_kind(TC_CAST(q), "netem"); err < 0) {
    rtnl_qdisc_put(q);
    return internal_error(fmt::format("libnl does not know qdisc netem: {}", nl_geterror(err)));
  }
  if (auto configured = configure_netem(q, params); !configured) {
    rtnl_qdisc_put(q);
    return configured.error();
  }
  return q;
}

Availability NetemMechanism::probe(const HostContext&) const {
  Availability a;
  a.mechanism = "netem";
  auto supported = kernel_supports_qdisc("netem");
  a.available = supported.ok();
  if (!supported) a.reason = supported.error().message;
  return a;
}

Result<HealRecord> NetemMechanism::plan(const FaultSpec& spec, const HostContext& host) {
  // The qdisc's u32 filters select by destination only: a port-scoped fault
  // is served by the next mechanism (the NFQUEUE shaper, iptables statistic).
  if (spec.params.contains("ports") || spec.params.contains("protocol"))
    return unavailable(fmt::format("{}: netem does not select by port or protocol", spec.kind));
  auto params = NetemParams::from_spec(spec);
  if (!params) return params.error();
  auto destinations = parse_prefix_list(spec.params, "destinations", false);
  if (!destinations) return destinations.error().with_context(spec.kind);
  auto interface = resolve_interface(spec, host);
  if (!interface) return interface.error().with_context(spec.kind);
  return HealRecord{{"interface", *interface},
                    {"destinations", prefix_texts(*destinations)},
                    {"netem", params->to_json()}};
}

Result<void> NetemMechanism::apply(const HealRecord& record, const HostContext&) {
  auto params = NetemParams::from_json(record.value("netem", nlohmann::json::object()));
  if (!params) return params.error();
  auto destinations = prefixes_from_record(record, "destinations");
  if (!destinations) return destinations.error().with_context("netem record");
  std::string interface = record.value("interface", "");
  auto installed = install_qdisc(
      interface, "netem", [&](rtnl_qdisc* q) { return configure_netem(q, *params); }, *destinations,
      record.value("match_source", false));
  if (!installed) return installed.error();
  return ok_result();
}

Result<void> NetemMechanism::heal(const HealRecord& record, const HostContext&) {
  if (!record.contains("interface") || !record["interface"].is_string())
    return invalid_input("netem record has no \"interface\"");
  return remove_our_qdisc(record["interface"].get<std::string>(), {"netem", "prio", "htb"});
}

std::string NetemMechanism::describe(const HealRecord& record) const {
  auto params = NetemParams::from_json(record.value("netem", nlohmann::json::object()));
  auto destinations = prefixes_from_record(record, "destinations");
  std::string to = destinations && !destinations->empty() ? " towards " + join_prefixes(*destinations) : "";
  return fmt::format("{} on {}{} (netem, qdisc fa17:)", params ? params->summary() : std::string("netem"),
                     record.value("interface", "?"), to);
}

FAULTLINE_REGISTER_MECHANISM("delay", 0, NetemMechanism);
FAULTLINE_REGISTER_MECHANISM("loss", 0, NetemMechanism);
FAULTLINE_REGISTER_MECHANISM("duplicate", 0, NetemMechanism);
FAULTLINE_REGISTER_MECHANISM("corrupt", 0, NetemMechanism);
FAULTLINE_REGISTER_MECHANISM("reorder", 0, NetemMechanism);

}  // namespace faultline::faults::net
