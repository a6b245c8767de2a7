// The process fault kinds and their fields (field.h).
#include "faults/spec/field.h"

namespace faultline::faults::spec {

std::vector<KindSpec> process_kinds() {
  using T = FieldType;
  return {
      kind_spec("kill", "process", "SIGKILL the SUT; restart it when the fault ends",
                {field("restart", T::kBool, "start the SUT again on heal").defaults("true")},
                {R"({"kind":"kill"})", R"({"kind":"kill","restart":false})"}),
      kind_spec("pause", "process", "SIGSTOP the SUT; SIGCONT when the fault ends", {}, {R"({"kind":"pause"})"}),
      kind_spec("cpu-throttle", "process", "limit the SUT's CPU time (cgroup cpu.max, or the v1 CFS quota)",
                {field("percent", T::kNumber, "percent of one CPU (up to 100 x the host's CPUs)").needed().above(0)},
                {R"({"kind":"cpu-throttle","percent":20})"}),
  };
}

}  // namespace faultline::faults::spec
