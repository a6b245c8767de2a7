// markdown: the fault reference (docs/faults.md's generated part) from the
// schema, so the docs cannot drift from what faultline accepts.
//
// Contract: kinds_markdown() is deterministic text: one "### kind" section
// per kind (all_kinds() order) with its doc, a table of its fields (name,
// type and range, required or default, doc) and its examples; then the
// common fields. `faultline fault kinds --markdown` prints it; a unit test
// checks docs/faults.md holds it verbatim between the markers
// "<!-- BEGIN GENERATED -->" and "<!-- END GENERATED -->".
#pragma once

#include <string>

namespace faultline::faults::spec {

std::string kinds_markdown();

// One kind, for humans: "delay: delay outgoing packets ...\n  delay  duration ... (required)\n".
std::string kind_text(const std::string& kind);

}  // namespace faultline::faults::spec
