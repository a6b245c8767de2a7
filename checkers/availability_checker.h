// The `availability` checker: what did the clients of the system feel —
// steady state before and between faults, degradation during each fault,
// and recovery after each heal?
//
// Contract. Input: the client operations (availability_windows.h:
// ok is a success; fail and info are failures of availability; latency is
// invoke -> completion, of ok ops only) and the fault windows [start, end)
// from the history's fault start/end events (a fault that never ended lasts
// to the end of the history and has no recovery). Every figure is over
// sliding windows [t, t+window) stepping by `step`; an op sits in the window
// holding its invoke time; a window with fewer than `min_ops` ops is thin and
// never judged (it cannot show recovery either), and a latency quantile q
// is judged only in a window with at least 1/(1-q) ok ops (p99: 100; with
// fewer the nearest rank is the window's maximum, which is noise).
//  - An op whose [invoke, completion] overlaps a fault window (invoke before
//    the fault ends, completion after it starts) belongs to that fault (to
//    each of them, if several), placed at max(invoke, fault start); every
//    other op is "clean" and belongs to the steady state or to a recovery.
//  - baseline: the clean ops before the first fault. Steady bounds not given
//    in the config are derived from it: success_rate = 0.95 x the worst
//    baseline window's success rate; p99 (when no latency bound is given) =
//    the larger of 2 x and 5ms more than the worst p99 of the baseline
//    windows with 100 ok ops (none: no latency bound, said in config.note).
//    Without one judged baseline window the success rate cannot be derived:
//    unknown.
//  - during: each fault's windows over its ops, against `during` (the fault's
//    kind's entry, else the general one; no bound unless configured).
//  - recovery: after the last heal of a group of overlapping faults (H) the
//    windows of clean ops slide from H; the first judged window meeting every
//    steady bound starts at R, and R - H is the recovery time of the faults
//    healed at H (a fault healed while another was active is "masked" and
//    shares that group's figure). Longer than recovery_time (per kind) is a
//    violation; no such window before the next fault (or the end) is a
//    violation when that gap exceeds the bound, else unknown (not judged).
//  - steady: the baseline windows and every clean window from R to the next
//    fault (or the end) must meet the steady bounds.
// Verdict: invalid on any violation; unknown with a reason when the history
// has no client operation at all, when steady bounds cannot be derived, or
// when a recovery could not be judged; else valid. Findings: "config"
// (bounds, with "derived"), "ops", "baseline", "faults" (per fault: figures,
// worst window, "recovery"), "recovery_times_s" {fault id: seconds},
// "steady"/"during"/"recovery" (each {"valid", ...}: JUnit test cases), and
// "violations" (each with rule, window, measured figures, bound, message),
// plus "properties" (flat, for JUnit <property>: recovery.ID = seconds).
// Config: availability_config.h.
#pragma once

#include <memory>

#include "checkers/checker.h"

namespace faultline::checkers {

std::unique_ptr<Checker> make_availability_checker();

}  // namespace faultline::checkers
