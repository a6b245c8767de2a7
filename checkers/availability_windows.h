// The data the `availability` checker slides its windows over: the client
// operations of a history as (position, latency, outcome), in position order.
//
// Contract:
//  - collect_client_ops() pairs each invoke with the next completion of the
//    same process (Jepsen's rule). An op's position `at` is its invoke time,
//    its latency the time to its completion. ok is a success; fail and info
//    are failures of availability (info: the client could not tell, which a
//    user feels as a failed request). An invoke with no completion at all is
//    an info op ending at the end of the history, unless it was invoked
//    within `cutoff` of that end: then the run ended before the client could
//    know, and it is counted as `unfinished` and judged nowhere. An invoke
//    followed by another invoke of the same process is an info op ending at
//    the second (the client gave it up). A
//    completion without an invoke is counted as `orphans` and ignored.
//    Ops come out in invoke order (the history's time order).
//  - WindowMeter::measure() gives one window's figures: ops, ok, the success
//    rate ok/ops, and for each requested quantile q the nearest-rank
//    percentile of the ok ops' latencies (the ceil(q*n)-th smallest; 0 with
//    no ok op). Failed ops carry no latency: a fast refusal is not fast service.
//  - slide() calls `visit(t, first, last)` for the windows [t, t+width) with
//    t = from, from+step, ... while t + width <= to (and once for [from, to)
//    when the span is shorter than one window), where [first, last) are the
//    ops whose position lies in the window. It stops early when visit
//    returns false. Cost: linear in the ops per window, per window.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "checkers/history/event.h"
#include "common/units.h"

namespace faultline::checkers {

enum class OpOutcome : std::uint8_t { kOk, kFail, kInfo };

struct ClientOp {
  Nanos at = 0;       // invoke time (position in the windows)
  Nanos latency = 0;  // invoke -> completion
  OpOutcome outcome = OpOutcome::kOk;
  Nanos done() const { return at + latency; }
};

struct ClientOps {
  std::vector<ClientOp> ops;  // in `at` order
  std::uint64_t ok = 0, fail = 0, info = 0;
  std::uint64_t never_completed = 0;  // counted as info (included in `info`)
  std::uint64_t unfinished = 0;       // cut off by the end of the history
  std::uint64_t orphans = 0;          // completions without an invoke
  std::uint64_t events = 0;           // client events read
};

// fail_is_answer: a `fail` completion counts as served (kOk) in the windows;
// ClientOps.fail still counts it.
ClientOps collect_client_ops(const history::History& history, Nanos cutoff, bool fail_is_answer = false);

struct WindowFigures {
  std::size_t ops = 0, ok = 0;
  double success_rate = 1.0;       // 1 with no ops
  std::vector<Nanos> percentiles;  // one per quantile asked for
};

class WindowMeter {
 public:
  // `quantiles` ascending, in (0, 1].
  explicit WindowMeter(std::vector<double> quantiles) : quantiles_(std::move(quantiles)) {}
  WindowFigures measure(const ClientOp* first, const ClientOp* last);
  const std::vector<double>& quantiles() const { return quantiles_; }

 private:
  std::vector<double> quantiles_;
  std::vector<Nanos> scratch_;
};

using WindowVisit = std::function<bool(Nanos t, const ClientOp* first, const ClientOp* last)>;
void slide(const std::vector<ClientOp>& ops, Nanos from, Nanos to, Nanos width, Nanos step, const WindowVisit& visit);

// Nearest-rank index (0-based) of quantile q among n sorted values (n > 0).
std::size_t nearest_rank(double q, std::size_t n);

}  // namespace faultline::checkers
