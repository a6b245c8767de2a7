// Preflight: the first phase of a run, everything that can be refused before
// anything starts.
//
// Contract: builds the schedule, finds the provider and has it validate the
// cluster section, refuses clock faults that have neither a per-process clock
// nor "mechanism":"system", then creates the output directory
// OUT/<suite>/<UTC timestamp>/ (OUT/<suite>/latest points at it). Fills
// ctx.schedule, ctx.provider, ctx.dir, ctx.suite_dir and the summary's
// header fields. Returns 0 to go on, or the exit code after printing the
// reason ("FILE: field: reason"): 254 for a suite that cannot run, 255 when
// the output directory cannot be made. Nothing on any host is touched.
#pragma once

#include <string>

#include "controller/run/run_context.h"

namespace faultline::controller {

int preflight(RunContext& ctx);

// "2026-12-07T10:23:16Z", or "20261207T102316Z" when compact.
std::string utc_timestamp(bool compact);

}  // namespace faultline::controller
