// Schedule: the nemesis's plan, every fault with its concrete times and targets.
//
// Contract: build_schedule() is a pure function of the suite (nodes, schedule
// entries, seed, duration): the same suite and seed give the same schedule.
// Times are nanoseconds from the moment the SUT is up (schedule time 0).
// Entries expand as follows: `at` once; `every` at from, from+every, ... while
// before `until` (default: the suite duration; `from` defaults to `every`);
// `random` one fault after another starting at `from`: wait a gap drawn from
// [gap_min, gap_max], pick a package, then a variant, uniformly, draw a
// duration from [duration_min, duration_max], repeat while the start is before
// `until`. Each entry draws from its own Rng (seed = entry seed, or nemesis
// seed + 1000003 * entry index) so editing one entry does not reshuffle the
// others. Every fault ends no later than the suite duration. Partition faults
// carry their grudge; ids are "f1", "f2", ... in start order.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/result.h"
#include "controller/nemesis/partition.h"
#include "controller/suite/suite.h"

namespace faultline::controller {

struct ScheduledFault {
  std::string id;
  Nanos start = 0;
  Nanos end = 0;
  nlohmann::json spec;                // the template spec (for partitions: kind + mode [+ grudge])
  std::vector<std::string> targets;   // effective targets (partition: nodes with a grudge)
  Grudge grudge;                      // partitions only
  std::string kind() const { return spec.value("kind", std::string()); }
  std::string where;                  // suite file:line of the entry
};

Result<std::vector<ScheduledFault>> build_schedule(const Suite& suite);

// A schedule given from outside (a replay, controller/replay/recorded_run.h)
// made to fit the suite: every target and grudge node must be a node of the
// cluster, every start within [0, duration) and every kind known
// (kInvalidInput naming the fault otherwise); ends past the duration are cut
// to it, and the faults sorted by start (ids kept).
Result<std::vector<ScheduledFault>> fit_schedule(std::vector<ScheduledFault> faults, const Suite& suite);

// The fault kinds this schedule produces (for the capability check).
std::vector<std::string> schedule_kinds(const std::vector<ScheduledFault>& schedule);

// Every kind the suite's schedule could produce with any seed (packages
// expand to all their variants).
std::vector<std::string> possible_kinds(const Suite& suite);

}  // namespace faultline::controller
