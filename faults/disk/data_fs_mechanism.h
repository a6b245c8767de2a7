// DataFsMechanism: what disk-slow, disk-error and lose-unsynced share: the
// FUSE probe, finding the data fs a fault acts on, and the HealRecord
// {"mount": the data fs's directory, "rule": the rule as JSON}.
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
  // The data fs a new fault of `kind` acts on.
  static Result<std::string> target_mount(const std::string& kind) {
    auto fs = DataFs::only();
    if (!fs)
      return unavailable(fmt::format("{}: no faultable data fs is mounted on this node (the suite needs "
                                     "sut.data_fs: faultable)", kind));
    return fs->mountpoint().string();
  }
  static std::shared_ptr<DataFs> mounted(const HealRecord& record) { return DataFs::find(record.value("mount", "")); }
  static std::string where(const HealRecord& record) { return " at " + record.value("mount", std::string("?")); }
};

}  // namespace faultline::faults::disk
