#include "controller/shrink/search.h"

#include <algorithm>

#include <fmt/format.h>

#include "controller/shrink/ddmin.h"
#include "controller/shrink/suite_writer.h"

namespace faultline::controller::shrink {
namespace {

std::string ids_of(const std::vector<ScheduledFault>& faults) {
  std::string out;
  for (const auto& f : faults) out += (out.empty() ? "" : " ") + f.id;
  return out.empty() ? "none" : out;
}

void shift(std::vector<ScheduledFault>& faults, std::size_t from, Nanos by) {
  for (std::size_t i = from; i < faults.size(); ++i) {
    faults[i].start -= by;
    faults[i].end -= by;
  }
}

}  // namespace

std::optional<ScheduledFault> without_target(const ScheduledFault& fault, const std::string& node) {
  ScheduledFault out = fault;
  if (fault.kind() == "partition") {
    out.grudge.erase(node);
    for (auto it = out.grudge.begin(); it != out.grudge.end();) {
      std::erase(it->second, node);
      it = it->second.empty() ? out.grudge.erase(it) : std::next(it);
    }
    if (out.grudge.empty()) return std::nullopt;
    out.targets.clear();
    for (const auto& t : fault.targets)
      if (out.grudge.count(t)) out.targets.push_back(t);
    return out;
  }
  std::erase(out.targets, node);
  if (out.targets.empty() || out.targets.size() == fault.targets.size()) return std::nullopt;
  return out;
}

KeepDecision keep_decision(int failures, int reruns, int runs, int keep) {
  if (failures >= keep) return KeepDecision::kKeep;
  if (failures + (runs - reruns) < keep) return KeepDecision::kDrop;
  return KeepDecision::kRerun;
}

Shrinker::Shrinker(Candidate original, ShrinkOptions options, Rerun rerun, std::function<Nanos()> clock,
                   std::function<bool()> stop, Observer observer)
    : original_(std::move(original)), best_(original_), options_(options), rerun_(std::move(rerun)),
      clock_(std::move(clock)), stop_(std::move(stop)), observer_(std::move(observer)) {
  options_.runs = std::max(options_.runs, 1);
  options_.keep = std::clamp(options_.keep, 1, options_.runs);
}

Nanos Shrinker::fit_duration(const std::vector<ScheduledFault>& faults) const {
  Nanos last = 0;
  for (const auto& f : faults) last = std::max(last, f.end);
  return std::min(original_.duration, last + options_.tail);
}

bool Shrinker::out_of_time() {
  if (stop_ && stop_()) stopped_ = true;
  if (clock_() - started_ >= options_.budget) {
    over_budget_ = true;
    stopped_ = true;
  }
  return stopped_;
}

bool Shrinker::try_candidate(const std::string& phase, const std::string& change, std::vector<ScheduledFault> faults) {
  if (out_of_time()) return false;
  Candidate candidate{std::move(faults), 0};
  candidate.duration = fit_duration(candidate.faults);
  Step step;
  step.candidate = ++candidates_;
  step.phase = phase;
  step.change = change;
  step.faults = candidate.faults.size();
  step.duration = candidate.duration;
  for (int attempt = 1;
       keep_decision(step.failures, step.reruns, options_.runs, options_.keep) == KeepDecision::kRerun; ++attempt) {
    if (attempt > 1 && out_of_time()) {
      step.cut_short = true;
      break;
    }
    RerunRequest request{candidate, step.candidate, attempt, phase};
    auto outcome = rerun_(request);
    if (observer_.on_rerun) observer_.on_rerun(request, outcome, clock_() - started_);
    if (outcome.stopped) {
      stopped_ = true;
      step.cut_short = true;
      break;
    }
    ++step.reruns;
    step.verdicts.push_back(outcome.verdict);
    step.run_dirs.push_back(outcome.run_dir);
    step.failures += outcome.same_way;
  }
  step.accepted = keep_decision(step.failures, step.reruns, options_.runs, options_.keep) == KeepDecision::kKeep;
  if (step.accepted) best_ = candidate;
  step.elapsed = clock_() - started_;
  if (observer_.on_step) observer_.on_step(step, best_);
  return step.accepted;
}

void Shrinker::phase_compact() {
  if (best_.faults.size() < 2) return;
  auto faults = best_.faults;
  bool changed = false;
  if (faults.front().start > options_.lead) {
    shift(faults, 0, faults.front().start - options_.lead);
    changed = true;
  }
  for (std::size_t i = 1; i < faults.size(); ++i) {
    const Nanos gap = faults[i].start - faults[i - 1].end;
    if (gap <= options_.min_gap) continue;
    shift(faults, i, gap - options_.min_gap);
    changed = true;
  }
  if (!changed) return;
  try_candidate("compact", fmt::format("first fault at {}, every gap closed to {}", short_duration(options_.lead),
                                       short_duration(options_.min_gap)),
                faults);
}

void Shrinker::phase_ddmin() {
  const auto all = best_.faults;
  if (all.size() < 2) return;
  auto kept = ddmin(all.size(), [&](const Subset& subset) -> std::optional<bool> {
    if (out_of_time()) return std::nullopt;
    std::vector<ScheduledFault> faults;
    for (auto i : subset) faults.push_back(all[i]);
    bool fails = try_candidate("ddmin", "keep " + ids_of(faults), faults);
    if (stopped_ && !fails) return std::nullopt;
    return fails;
  });
  // ddmin's answer is the smallest failing set it saw; best_ already holds it
  // (or the original, when no subset failed).
  (void)kept;
}

void Shrinker::phase_earlier() {
  if (best_.faults.empty()) return;
  const Nanos first = best_.faults.front().start;
  if (first > options_.lead) {
    auto faults = best_.faults;
    shift(faults, 0, first - options_.lead);
    try_candidate("earlier", fmt::format("move every fault {} earlier", short_duration(first - options_.lead)), faults);
  }
  for (std::size_t i = 1; i < best_.faults.size() && !stopped_; ++i) {
    const Nanos previous_end = best_.faults[i - 1].end;
    const Nanos gap = best_.faults[i].start - previous_end;
    if (gap <= options_.min_gap) continue;
    auto faults = best_.faults;
    shift(faults, i, gap - options_.min_gap);
    try_candidate("earlier", fmt::format("close the gap before {} by {}", faults[i].id, short_duration(gap - options_.min_gap)),
                  faults);
  }
}

void Shrinker::phase_durations() {
  for (std::size_t i = 0; i < best_.faults.size() && !stopped_; ++i) {
    while (!stopped_) {
      const auto& f = best_.faults[i];
      const Nanos length = f.end - f.start;
      const Nanos half = length / 2;
      if (half < options_.min_duration) break;
      auto faults = best_.faults;
      faults[i].end = faults[i].start + half;
      if (!try_candidate("durations", fmt::format("{} lasts {} instead of {}", f.id, short_duration(half), short_duration(length)),
                         faults))
        break;
    }
  }
}

void Shrinker::phase_targets() {
  for (std::size_t i = 0; i < best_.faults.size() && !stopped_; ++i) {
    bool dropped = true;
    while (dropped && !stopped_) {
      dropped = false;
      const auto targets = best_.faults[i].targets;
      if (targets.size() < 2) break;
      for (const auto& node : targets) {
        auto smaller = without_target(best_.faults[i], node);
        if (!smaller) continue;
        auto faults = best_.faults;
        faults[i] = *smaller;
        if (try_candidate("targets", fmt::format("{} without {}", smaller->id, node), faults)) {
          dropped = true;
          break;
        }
        if (stopped_) break;
      }
    }
  }
}

Candidate Shrinker::run() {
  started_ = clock_();
  phase_compact();
  if (!stopped_) phase_ddmin();
  if (!stopped_) phase_earlier();
  if (!stopped_) phase_durations();
  if (!stopped_) phase_targets();
  return best_;
}

Confirmation Shrinker::confirm(const Candidate& candidate, int runs) {
  Confirmation c;
  for (int attempt = 1; attempt <= runs; ++attempt) {
    if (stop_ && stop_()) break;
    RerunRequest request{candidate, 0, attempt, "confirm"};
    auto outcome = rerun_(request);
    if (observer_.on_rerun) observer_.on_rerun(request, outcome, clock_() - started_);
    if (outcome.stopped) break;
    ++c.runs;
    c.failures += outcome.same_way;
    c.verdicts.push_back(outcome.verdict);
    c.run_dirs.push_back(outcome.run_dir);
  }
  return c;
}

}  // namespace faultline::controller::shrink
