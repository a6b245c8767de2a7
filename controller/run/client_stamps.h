// Client stamps: when did a client's op begin and end, on the controller's
// timeline, given only when its lines could have been written.
//
// A client prints an "invoke" line before it starts an operation and a
// completion ("ok", "fail", "info") after it ends, each flushed at once.
// The controller reads those lines from a pipe, so it learns of a line some
// time after it was written. Two bounds are sound without any help from the
// client:
//  - every byte read from the pipe was written AFTER the last moment the
//    reader saw the pipe empty (a read that drained it, or a poll that found
//    nothing), so an invoke stamped with that moment is never later than
//    the operation began;
//  - every byte was written BEFORE the read that returned it, so a
//    completion stamped with the read's time is never earlier than the
//    operation ended.
// Either only widens an operation's window (never a false violation). A
// client on the controller host that stamps its own lines with
// CLOCK_MONOTONIC ("mono_ns": taken just before sending the request, just
// after the reply) gets exact windows instead; a stamp later than the line
// was read is impossible for such a client and falls back to the bounds.
//
// Contract: OpLineSplitter::add() takes one chunk read from a client's pipe
// with its bounds and returns the lines it completes, each with the bounds
// of its first byte's chunk (written_after) and of its last byte's chunk
// (read_at). stamp_op() returns the time to record for one parsed line (in
// controller CLOCK_MONOTONIC nanoseconds) and removes "mono_ns" from it.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/units.h"

namespace faultline::controller {

struct TimedLine {
  std::string text;
  Nanos written_after = 0;  // the line was written at or after this instant
  Nanos read_at = 0;        // ... and before this one
};

class OpLineSplitter {
 public:
  std::vector<TimedLine> add(std::string_view chunk, Nanos written_after, Nanos read_at);
  bool has_partial() const { return !partial_.empty(); }

 private:
  std::string partial_;
  Nanos partial_after_ = 0;
};

struct Stamp {
  Nanos time = 0;              // controller CLOCK_MONOTONIC
  bool from_client = false;    // the client's own stamp was used
  bool rejected_client = false;  // the client stamped it, but impossibly late
};

Stamp stamp_op(nlohmann::json& op, const TimedLine& line);

}  // namespace faultline::controller
