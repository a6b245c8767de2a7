#include "checkers/availability_windows.h"

#include <algorithm>
#include <cmath>
#include <unordered_map>

namespace faultline::checkers {

using history::ClientEvent;
using history::OpType;

ClientOps collect_client_ops(const history::History& history, Nanos cutoff, bool fail_is_answer) {
  ClientOps out;
  // process -> index + 1 of its pending op (0: none). Small non-negative
  // process numbers (the usual case) index a vector; others go to a map.
  constexpr std::int64_t kDense = 1 << 16;
  std::vector<std::uint32_t> dense;
  std::unordered_map<std::int64_t, std::uint32_t> sparse;
  auto slot = [&](std::int64_t process) -> std::uint32_t& {
    if (process >= 0 && process < kDense) {
      if (static_cast<std::size_t>(process) >= dense.size()) dense.resize(static_cast<std::size_t>(process) + 1, 0);
      return dense[static_cast<std::size_t>(process)];
    }
    return sparse[process];
  };
  std::size_t clients = 0;
  for (const auto& e : history.events) clients += std::holds_alternative<ClientEvent>(e.body);
  out.ops.reserve(clients / 2 + 1);
  std::vector<char> completed;
  completed.reserve(clients / 2 + 1);
  for (const auto& e : history.events) {
    const auto* c = std::get_if<ClientEvent>(&e.body);
    if (!c) continue;
    ++out.events;
    auto& pending = slot(c->process);
    if (c->type == OpType::kInvoke) {
      // A second invoke while one is pending: the client gave the first up
      // (unknown outcome) when it moved on.
      if (pending != 0) {
        auto& prev = out.ops[pending - 1];
        prev.latency = std::max<Nanos>(0, e.time - prev.at);
        completed[pending - 1] = 1;
      }
      out.ops.push_back({e.time, 0, OpOutcome::kInfo});
      completed.push_back(0);
      pending = static_cast<std::uint32_t>(out.ops.size());
      continue;
    }
    if (pending == 0) {
      ++out.orphans;
      continue;
    }
    auto& op = out.ops[pending - 1];
    op.latency = std::max<Nanos>(0, e.time - op.at);
    op.outcome = c->type == OpType::kOk ? OpOutcome::kOk : c->type == OpType::kFail ? OpOutcome::kFail : OpOutcome::kInfo;
    completed[pending - 1] = 1;
    pending = 0;
  }
  const Nanos end = history.end_time();
  std::size_t kept = 0;
  for (std::size_t i = 0; i < out.ops.size(); ++i) {
    auto op = out.ops[i];
    if (!completed[i]) {
      if (op.at >= end - cutoff) {
        ++out.unfinished;
        continue;
      }
      op.latency = end - op.at;
      ++out.never_completed;
    }
    out.ok += op.outcome == OpOutcome::kOk;
    out.fail += op.outcome == OpOutcome::kFail;
    out.info += op.outcome == OpOutcome::kInfo;
    if (fail_is_answer && op.outcome == OpOutcome::kFail) op.outcome = OpOutcome::kOk;
    out.ops[kept++] = op;
  }
  out.ops.resize(kept);
  // A history is in time order; guard against one that is not.
  if (!std::is_sorted(out.ops.begin(), out.ops.end(), [](const ClientOp& a, const ClientOp& b) { return a.at < b.at; }))
    std::stable_sort(out.ops.begin(), out.ops.end(), [](const ClientOp& a, const ClientOp& b) { return a.at < b.at; });
  return out;
}

std::size_t nearest_rank(double q, std::size_t n) {
  // ceil(q * n), with a little slack so that 0.99 * 100 is 99, not 100.
  auto rank = static_cast<std::size_t>(std::ceil(q * static_cast<double>(n) - 1e-9));
  return std::clamp<std::size_t>(rank, 1, n) - 1;
}

WindowFigures WindowMeter::measure(const ClientOp* first, const ClientOp* last) {
  WindowFigures f;
  f.ops = static_cast<std::size_t>(last - first);
  scratch_.clear();
  for (const ClientOp* op = first; op != last; ++op)
    if (op->outcome == OpOutcome::kOk) scratch_.push_back(op->latency);
  f.ok = scratch_.size();
  f.success_rate = f.ops == 0 ? 1.0 : static_cast<double>(f.ok) / static_cast<double>(f.ops);
  f.percentiles.assign(quantiles_.size(), 0);
  std::size_t lo = 0;
  for (std::size_t i = 0; i < quantiles_.size() && !scratch_.empty(); ++i) {
    const std::size_t k = nearest_rank(quantiles_[i], scratch_.size());
    // Ascending quantiles: everything before `lo` is already no larger.
    if (k >= lo) {
      std::nth_element(scratch_.begin() + static_cast<std::ptrdiff_t>(lo), scratch_.begin() + static_cast<std::ptrdiff_t>(k),
                       scratch_.end());
      lo = k;
    }
    f.percentiles[i] = scratch_[k];
  }
  return f;
}

void slide(const std::vector<ClientOp>& ops, Nanos from, Nanos to, Nanos width, Nanos step, const WindowVisit& visit) {
  if (to <= from || step <= 0) return;
  auto at_or_after = [&](std::size_t hint, Nanos t) {
    while (hint < ops.size() && ops[hint].at < t) ++hint;
    return hint;
  };
  std::size_t lo = static_cast<std::size_t>(
      std::lower_bound(ops.begin(), ops.end(), from, [](const ClientOp& op, Nanos t) { return op.at < t; }) - ops.begin());
  if (to - from < width) {
    const std::size_t hi = at_or_after(lo, to);
    visit(from, ops.data() + lo, ops.data() + hi);
    return;
  }
  std::size_t hi = lo;
  for (Nanos t = from; t + width <= to; t += step) {
    lo = at_or_after(lo, t);
    hi = at_or_after(std::max(hi, lo), t + width);
    if (!visit(t, ops.data() + lo, ops.data() + hi)) return;
  }
}

}  // namespace faultline::checkers
