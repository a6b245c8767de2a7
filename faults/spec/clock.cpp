// The clock fault kinds and their fields (field.h).
#include "faults/spec/field.h"

namespace faultline::faults::spec {
namespace {

using T = FieldType;

FieldSpec clocks_field() {
  return field("clocks", T::kEnumList, "per-process clock: which clocks the fault moves")
      .defaults("realtime")
      .one_of({"realtime", "monotonic", "boottime"});
}

FieldSpec monotonic_field() {
  return field("monotonic", T::kBool, "per-process clock: true moves all three clocks (realtime, monotonic, boottime)")
      .defaults("false");
}

}  // namespace

std::vector<KindSpec> clock_kinds() {
  return {
      kind_spec("clock-skew", "clock",
                "shift the SUT's clock (per-process clock; \"mechanism\":\"system\" moves the host's clock)",
                {field("offset", T::kSignedDuration, "how far, e.g. \"+5s\" or \"-2s\"").needed(), clocks_field(),
                 monotonic_field(),
                 field("strobe", T::kDuration, "system clock only: jump back and forth by offset with this period")
                     .at_least(1e6)},
                {R"({"kind":"clock-skew","offset":"-2s"})",
                 R"({"kind":"clock-skew","offset":"30s","mechanism":"system"})"}),
      kind_spec("clock-drift", "clock",
                "make the SUT's clock run fast or slow (per-process clock, or adjtimex with \"mechanism\":\"system\", "
                "rate 0.9..1.1)",
                {field("rate", T::kNumber, "clock seconds per real second, e.g. 1.05").needed().above(0).at_most(1000),
                 clocks_field(), monotonic_field()},
                {R"({"kind":"clock-drift","rate":1.05})"}),
      kind_spec("clock-stop", "clock", "stop the SUT's clock (per-process clock)", {clocks_field(), monotonic_field()},
                {R"({"kind":"clock-stop"})"}),
  };
}

}  // namespace faultline::faults::spec
