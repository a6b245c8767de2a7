// The `detector` checker: are the system's failure detectors complete,
// accurate and quick to recover, judged against the reference detector run
// over the same faults?
//
// Contract (issues 6 and 16). Ground truth comes from the history's fault
// events (ground_truth.h). Observers are every node of the `cluster` event
// plus any node named by a detector or fault event; every other node is a
// subject. Each observer starts (and restarts after a kill) believing every
// subject alive. The config (detector_config.h) names a profile, or gives
// both bounds. With a profile, the reference is replayed over this
// history's own faults `trials` times (detector_envelope.h) and, per ordered
// pair (observer, subject):
//  - completeness: when the subject becomes unreachable while the observer
//    is up, and the reference detected it in every trial before it was
//    reachable again, the observer must reach the detected status (`dead`,
//    or `suspect` for a profile that never says dead or a service that does
//    not report dead) within the reference's latest x `margin` + `slack`;
//  - recovery: when the subject is reachable again and the observer still
//    suspects it, and the reference recovered in every trial in which it
//    still suspected, the observer must say `alive` within the reference's
//    latest x margin + slack;
//  - accuracy: a suspicion of a reachable subject that begins while it is
//    reachable must be one the reference makes too (after the same fault
//    boundary, about the same subject), and last no longer than the
//    reference's longest x margin + slack; with strict_accuracy false, or
//    during a degraded fault the replay does not model, it is only counted.
// detection_bound / recovery_bound, when given, replace the replay's limits
// for completeness / recovery. With bounds only (no profile), accuracy is
// judged as before replays existed: a suspicion while the subject has been reachable for
// the whole preceding detection_bound is a mistake, a violation unless a
// degraded fault touched the pair. Statuses outside `reports` are ignored
// (and counted in warnings). Deadlines after the end of the history are
// not judged ("unjudged"). Findings: violations (each naming the pair, the
// events, the reference's range and the margin), mistakes, the Chen-Toueg-
// Aguilera QoS per pair (T_D, T_MR, T_M, P_A), and with a profile
// `envelope`: one row per detection, recovery and mistake with the SUT's
// figure beside the reference's range and the allowance; the text lists
// them per pair. A section naming no profile and lacking a bound gives
// `unknown` (no silent defaults).
#pragma once

#include <memory>

#include "checkers/checker.h"

namespace faultline::checkers {

std::unique_ptr<Checker> make_detector_checker();

}  // namespace faultline::checkers
