// DataFsMechanism: what disk-slow, disk-error and lose-unsynced share: the
// FUSE probe, finding the data fs a fault acts on, and the HealRecord
// {"mount": the data fs's directory, "rule": the rule as JSON};
// RuleMechanism: the whole mechanism of a kind that is one rule (disk-slow,
// disk-error).
//
// Contract: plan() parses the kind's rule (fields checked, unknown ones
// refused) and picks the data fs this agent has mounted; it refuses when
// there is none (the suite must ask for sut.data_fs). apply() installs the
// rule on that mount (unavailable if it is gone); heal() removes it, and is a
// success when the mount is gone (a data fs that no longer serves applies no
// fault: a restarted agent unmounted it, see the agent's data fs lifecycle).
#pragma once

#include <memory>
#include <string>

#include <fmt/format.h>

#include "faults/disk/data_fs.h"
#include "faults/registry.h"

namespace faultline::faults::disk {

class DataFsMechanism : public Mechanism {
 public:
  std::string_view name() const override { return "fuse-passthrough"; }
  Availability probe(const HostContext&) const override { return DataFs::availability(); }

 protected:
  // The HealRecord of a new fault of `kind` with this rule, on the data fs
  // this agent has mounted.
  static Result<HealRecord> record_for(const std::string& kind, nlohmann::json rule) {
    auto fs = DataFs::only();
    if (!fs)
      return unavailable(fmt::format("{}: no faultable data fs is mounted on this node (the suite needs "
                                     "sut.data_fs: faultable)", kind));
    return HealRecord{{"mount", fs->mountpoint().string()}, {"rule", std::move(rule)}};
  }
  static std::shared_ptr<DataFs> mounted(const HealRecord& record) { return DataFs::find(record.value("mount", "")); }
  static std::string where(const HealRecord& record) { return " at " + record.value("mount", std::string("?")); }
  template <class Rule>
  static std::string describe_rule(const HealRecord& record, Result<Rule> (*from_json)(const nlohmann::json&)) {
    auto rule = from_json(record.value("rule", nlohmann::json::object()));
    return rule ? disk::describe(*rule) + where(record) : record.value("kind", std::string("data fs fault"));
  }
};

// A kind whose fault is one rule on the data fs (disk-slow, disk-error):
// apply adds it, heal removes it by id.
template <class Rule, Result<Rule> (*Parse)(const FaultSpec&), Result<Rule> (*FromJson)(const nlohmann::json&)>
class RuleMechanism : public DataFsMechanism {
 public:
  Result<HealRecord> plan(const FaultSpec& spec, const HostContext&) override {
    auto rule = Parse(spec);
    if (!rule) return rule.error();
    return record_for(spec.kind, to_json(*rule));
  }
  Result<void> apply(const HealRecord& record, const HostContext&) override {
    auto rule = FromJson(record.value("rule", nlohmann::json::object()));
    if (!rule) return rule.error();
    auto fs = mounted(record);
    if (!fs) return unavailable(record.value("kind", std::string()) + ": the data fs" + where(record) + " is not mounted");
    return fs->add_rule(*rule);
  }
  Result<void> heal(const HealRecord& record, const HostContext&) override {
    if (auto fs = mounted(record)) fs->remove_rule(record["rule"].value("id", ""));
    return ok_result();
  }
  std::string describe(const HealRecord& record) const override { return describe_rule(record, FromJson); }
};

}  // namespace faultline::faults::disk
