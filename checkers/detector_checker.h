// The `detector` checker: are the system's failure detectors complete,
// accurate and quick to recover, against the ground truth of the faults?
//
// Contract (issue 6). Ground truth comes from the history's fault events
// (ground_truth.h). Observers are every node of the `cluster` event plus any
// node named by a detector or fault event; every other node is a subject.
// Each observer starts (and restarts after a kill) believing every subject
// alive. For each ordered pair (observer, subject):
//  - completeness: when the subject becomes unreachable while the observer
//    is up (or the observer comes up while it is unreachable), the observer
//    declares it `dead` within `detection_bound`, unless it becomes reachable
//    again or the observer goes down before that deadline.
//  - accuracy: a `suspect`/`dead` verdict while the subject has been
//    reachable for the whole preceding `detection_bound` is a mistake; with
//    `strict_accuracy` (default true) it is a violation unless a degraded
//    fault (delay, loss, ...) touched the pair within that window, in which
//    case it is reported as a mistake only. A suspicion that started early
//    and is still held once the subject has been reachable for the bound is
//    judged at that instant.
//  - recovery: when the subject becomes reachable again and the observer
//    does not believe it alive, the observer declares it `alive` within
//    `recovery_bound`. Likewise when a degraded fault touching the pair ends
//    while the observer still suspects a reachable subject: the mistake it
//    excused must end within `recovery_bound` of the fault's end.
// Deadlines after the end of the history are not judged (counted as
// "unjudged"). Per pair the QoS metrics of Chen, Toueg and Aguilera are
// reported: T_D (time from becoming unreachable to the start of the
// suspicion that lasted until it was reachable again), T_MR (mean time
// between the starts of mistakes), T_M (mean mistake duration) and P_A (the
// fraction of reachable time during which the observer trusted the subject).
// Config section `detector`: detection_bound, recovery_bound (durations),
// strict_accuracy (true), degraded_kinds (list of fault kinds). When a bound
// is not configured it is derived (detector_bounds.h) from the reference
// detector named by `kind` (swim, the default: the reference SWIM simulated
// over the history's crashes `trials` (20) times, worst case x `margin`
// (1.5); heartbeat: timeout + heartbeat_interval; phi: not derivable, set
// both bounds), and the findings say so under "bounds".
#pragma once

#include <memory>

#include "checkers/checker.h"

namespace faultline::checkers {

std::unique_ptr<Checker> make_detector_checker();

}  // namespace faultline::checkers
