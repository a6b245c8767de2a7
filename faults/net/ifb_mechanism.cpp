#include "faults/net/ifb_mechanism.h"

#include <fmt/format.h>

#include "faults/net/ifb.h"
#include "faults/net/netem.h"
#include "faults/net/tbf.h"
#include "faults/process/fault_id.h"
#include "faults/registry.h"

namespace faultline::faults::net {
namespace {

Result<std::string> string_field(const HealRecord& record, const char* field) {
  auto it = record.find(field);
  if (it == record.end() || !it->is_string() || it->get<std::string>().empty())
    return invalid_input(fmt::format("ingress record has no \"{}\"", field));
  return it->get<std::string>();
}

// The record as the inner mechanism applies it: on the ifb, peers as sources.
HealRecord inner_record(const HealRecord& record) {
  HealRecord inner = record;
  inner["interface"] = record.value("ifb", "");
  inner["match_source"] = true;
  return inner;
}

}  // namespace

IfbMechanism::IfbMechanism(std::string name, std::unique_ptr<Mechanism> inner)
    : name_(std::move(name)), inner_(std::move(inner)) {}

Availability IfbMechanism::probe(const HostContext& host) const {
  Availability a = inner_->probe(host);
  a.mechanism = name_;
  if (!a.available) return a;
  if (auto redirect = kernel_supports_ingress_redirect(); !redirect) {
    a.available = false;
    a.reason = redirect.error().message;
  }
  return a;
}

Result<HealRecord> IfbMechanism::plan(const FaultSpec& spec, const HostContext& host) {
  if (direction_of(spec) != Direction::kIngress)
    return unavailable(fmt::format("{} shapes ingress only", name_));
  auto record = inner_->plan(spec, host);
  if (!record) return record.error();
  (*record)["direction"] = "ingress";
  (*record)["ifb"] = ifb_name_for(random_id());
  return record;
}

Result<void> IfbMechanism::apply(const HealRecord& record, const HostContext& host) {
  auto interface = string_field(record, "interface");
  if (!interface) return interface.error();
  auto ifb = string_field(record, "ifb");
  if (!ifb) return ifb.error();
  if (!is_our_ifb(*ifb)) return invalid_input(fmt::format("ingress record: '{}' is not one of our ifb devices", *ifb));
  auto present = has_ingress_qdisc(*interface);
  if (!present) return present.error();
  if (*present)
    return invalid_input(fmt::format("interface {} already has an ingress qdisc (another ingress fault of faultline, "
                                     "or one faultline did not install): heal or remove it first",
                                     *interface));
  if (auto created = create_ifb(*ifb); !created) return created.error();
  auto undo = [&](const Error& error) -> Result<void> {
    (void)delete_link(*ifb);
    return error;
  };
  if (auto shaped = inner_->apply(inner_record(record), host); !shaped) return undo(shaped.error());
  if (auto redirected = redirect_ingress(*interface, *ifb); !redirected) return undo(redirected.error());
  return ok_result();
}

Result<void> IfbMechanism::heal(const HealRecord& record, const HostContext&) {
  auto interface = string_field(record, "interface");
  if (!interface) return interface.error();
  auto ifb = string_field(record, "ifb");
  if (!ifb) return ifb.error();
  return remove_ingress_redirect(*interface, *ifb);
}

std::string IfbMechanism::describe(const HealRecord& record) const {
  return fmt::format("ingress of {}: {} (ifb {}, mirred from qdisc ffff:)", record.value("interface", "?"),
                     inner_->describe(inner_record(record)), record.value("ifb", "?"));
}

namespace {

struct IfbRegistrations {
  IfbRegistrations() {
    auto& registry = MechanismRegistry::instance();
    for (const char* kind : {"delay", "loss", "duplicate", "corrupt", "reorder"})
      registry.add(kind, 1, [] { return std::make_unique<IfbMechanism>("netem-ifb", std::make_unique<NetemMechanism>()); });
    registry.add("bandwidth", 1, [] { return std::make_unique<IfbMechanism>("tbf-ifb", std::make_unique<TbfBandwidth>()); });
  }
};

const IfbRegistrations registrations;

}  // namespace
}  // namespace faultline::faults::net
