// disk-slow (DESIGN.md StorageSlow: a FUSE passthrough adding latency and
// errors) is not built yet. This placeholder registers the kind so that
// --probe and the registry say so truthfully ("not built") instead of
// "unknown kind"; plan() refuses with the same reason.
#include "faults/registry.h"

namespace faultline::faults {
namespace {

constexpr char kReason[] = "not built (the FUSE passthrough for disk-slow is not implemented in this version)";

class DiskSlow : public Mechanism {
 public:
  std::string_view name() const override { return "fuse-passthrough"; }
  Availability probe(const HostContext&) const override { return Availability{false, "fuse-passthrough", kReason}; }
  Result<HealRecord> plan(const FaultSpec&, const HostContext&) override { return unavailable(std::string("disk-slow: ") + kReason); }
  Result<void> apply(const HealRecord&, const HostContext&) override { return unavailable(std::string("disk-slow: ") + kReason); }
  Result<void> heal(const HealRecord&, const HostContext&) override { return ok_result(); }
  std::string describe(const HealRecord&) const override { return "disk-slow (not built)"; }
};

FAULTLINE_REGISTER_MECHANISM("disk-slow", 0, DiskSlow);

}  // namespace
}  // namespace faultline::faults
