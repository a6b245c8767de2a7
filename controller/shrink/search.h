// Shrink search: from a failing schedule to a small one that still fails the same way.
//
// Contract: Shrinker::run() searches in five phases, each keeping a change
// only when the changed schedule still fails:
//  0. "compact": one candidate, the whole schedule with its first fault at
//     `lead` and every gap between one fault's end and the next start closed
//     to `min_gap` (back to back by default). Bugs that need two faults
//     usually need the second while the first's effect lasts (a breaker
//     still open, a replica still behind); a random schedule's gaps make
//     that a race, and ddmin keeps the faults' times, so a pair it finds
//     fails only as often as the race is won. Compacting first lets ddmin
//     pick among pairs that interact every time;
//  1. "ddmin": delta debugging (ddmin.h) over the faults;
//  2. "earlier": the whole schedule moved so its first fault starts at
//     `lead`, then each gap closed to `min_gap`, one at a time (the run gets
//     shorter);
//  3. "durations": each fault's duration halved while it still fails and
//     stays at least `min_duration`;
//  4. "targets": each target of each fault with more than one (for a
//     partition: each node of its grudge, with every cut to it) dropped.
// A candidate's run lasts until its last fault ends plus `tail`, never
// longer than the original. Runs are not deterministic, so a candidate fails
// when at least `keep` of its `runs` reruns fail the same way (the rerun
// function says so): a schedule that fails only now and then is not a
// reproducer, and keeping it would steer the search toward the edge of the
// bug's window (faults that just line up, sometimes). The reruns stop as soon
// as the answer is known (keep_decision): `keep` failures, or too many passes
// for `keep` to be reached — so a candidate that fails once and passes once
// is rerun again, one that fails every time costs `keep` reruns. The search stops early,
// keeping the best schedule so far, when stop() turns true (Ctrl-C) or the
// clock passes `budget`; a candidate cut short counts as not failing.
// confirm() reruns a schedule `runs` times (its own count) and counts how many fail the
// same way. Every rerun and every candidate's decision go to the observer.
// Pure logic: the rerun function and the clock are given, so tests drive it
// with synthetic schedules.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "common/units.h"
#include "controller/nemesis/schedule.h"

namespace faultline::controller::shrink {

struct Candidate {
  std::vector<ScheduledFault> faults;
  Nanos duration = 0;  // the suite's duration for this schedule
};

struct RerunOutcome {
  bool same_way = false;   // failed the same way as the original
  bool stopped = false;    // interrupted: says nothing
  std::string verdict;     // e.g. "invalid (breaker:decision)", for the steps and the terminal
  std::string run_dir;
  Nanos waited = 0;        // from launch to the run's start: a --wrap's wait (a host lock)
};

struct RerunRequest {
  const Candidate& candidate;
  int number;        // candidate k (0 for the confirmation)
  int attempt;       // 1..runs
  std::string phase;
};

using Rerun = std::function<RerunOutcome(const RerunRequest&)>;

struct ShrinkOptions {
  int runs = 3;
  int keep = 3;  // failures (of `runs`) that make a candidate fail; 1..runs
  Nanos budget = 30LL * 60 * 1'000'000'000;
  Nanos tail = 8'000'000'000;        // run this long after the last fault ends
  Nanos lead = 2'000'000'000;        // "earlier": first fault at this schedule time
  Nanos min_gap = 0;                 // "compact", "earlier": gaps closed to this
  Nanos min_duration = 1'000'000'000;
};

struct Step {
  int candidate = 0;
  std::string phase;
  std::string change;            // what this candidate changed
  std::size_t faults = 0;        // in the candidate
  Nanos duration = 0;            // the candidate's run length
  int reruns = 0;
  int failures = 0;              // reruns that failed the same way
  bool accepted = false;         // it became the best schedule
  bool cut_short = false;        // budget or stop ended it
  Nanos elapsed = 0;             // since the search began, when decided
  std::vector<std::string> verdicts, run_dirs;
};

struct Observer {
  std::function<void(const RerunRequest&, const RerunOutcome&, Nanos elapsed)> on_rerun;
  std::function<void(const Step&, const Candidate& best)> on_step;
};

struct Confirmation {
  int runs = 0;
  int failures = 0;
  std::vector<std::string> verdicts, run_dirs;
};

class Shrinker {
 public:
  Shrinker(Candidate original, ShrinkOptions options, Rerun rerun, std::function<Nanos()> clock,
           std::function<bool()> stop, Observer observer = {});

  Candidate run();
  Confirmation confirm(const Candidate& candidate, int runs);

  bool stopped() const { return stopped_; }        // stop() or the budget ended the search
  bool over_budget() const { return over_budget_; }
  int candidates() const { return candidates_; }
  Nanos elapsed() const { return clock_() - started_; }

  // The run length for a set of faults: last end + tail, at most the original's.
  Nanos fit_duration(const std::vector<ScheduledFault>& faults) const;

 private:
  // true: fails the same way; false: passes (or was cut short).
  bool try_candidate(const std::string& phase, const std::string& change, std::vector<ScheduledFault> faults);
  bool out_of_time();
  void phase_compact();
  void phase_ddmin();
  void phase_earlier();
  void phase_durations();
  void phase_targets();

  Candidate original_, best_;
  ShrinkOptions options_;
  Rerun rerun_;
  std::function<Nanos()> clock_;
  std::function<bool()> stop_;
  Observer observer_;
  Nanos started_ = 0;
  int candidates_ = 0;
  bool stopped_ = false, over_budget_ = false;
};

// After `reruns` reruns of which `failures` failed the same way: kKeep once
// `keep` have, kDrop once the reruns left (of `runs`) cannot get there,
// kRerun otherwise.
enum class KeepDecision { kRerun, kKeep, kDrop };
KeepDecision keep_decision(int failures, int reruns, int runs, int keep);

// A fault without one target node: the node leaves `targets`; for a
// partition it leaves the grudge, and every cut to it goes. nullopt when
// nothing would be left to fault.
std::optional<ScheduledFault> without_target(const ScheduledFault& fault, const std::string& node);

}  // namespace faultline::controller::shrink
