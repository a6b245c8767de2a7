// The shrink search (controller/shrink/search.h) over synthetic schedules,
// with a rerun function that decides "fails the same way" from the
// candidate itself (pure logic; no cluster) and a clock that advances by
// each rerun's run length.
#include <algorithm>

#include <gtest/gtest.h>

#include "controller/shrink/search.h"
#include "common/units.h"

using namespace faultline;
using namespace faultline::controller;
using namespace faultline::controller::shrink;

namespace {

ScheduledFault fault(const std::string& id, const std::string& kind, Nanos start, Nanos end,
                     std::vector<std::string> targets) {
  ScheduledFault f;
  f.id = id;
  f.spec = {{"kind", kind}};
  f.start = start;
  f.end = end;
  f.targets = std::move(targets);
  return f;
}

ScheduledFault isolate(const std::string& id, const std::string& node, Nanos start, Nanos end) {
  ScheduledFault f = fault(id, "partition", start, end, {});
  f.spec["mode"] = "isolate";
  for (const std::string other : {"n1", "n2", "n3"})
    if (other != node) {
      f.grudge[node].push_back(other);
      f.grudge[other].push_back(node);
    }
  for (const std::string n : {"n1", "n2", "n3"}) f.targets.push_back(n);
  return f;
}

// Twelve faults over 70s, like a nightly random schedule.
Candidate nightly() {
  Candidate c;
  c.duration = 70 * kSecond;
  Nanos t = 3 * kSecond;
  for (int i = 1; i <= 12; ++i) {
    const std::string id = "f" + std::to_string(i);
    if (i == 5) c.faults.push_back(isolate(id, "n2", t, t + 4 * kSecond));
    else if (i % 3 == 0) c.faults.push_back(fault(id, "pause", t, t + 3 * kSecond, {"n1", "n3"}));
    else c.faults.push_back(fault(id, "kill", t, t + 2 * kSecond, {"n" + std::to_string(1 + i % 3)}));
    t = c.faults.back().end + 2 * kSecond;
  }
  return c;
}

bool has_kill_of(const Candidate& c, const std::string& node) {
  return std::any_of(c.faults.begin(), c.faults.end(), [&](const ScheduledFault& f) {
    return f.kind() == "kill" && std::count(f.targets.begin(), f.targets.end(), node) > 0;
  });
}

struct Harness {
  Nanos now = 0;
  int reruns = 0;
  std::vector<Step> steps;
  std::function<bool(const Candidate&, int attempt)> fails;
  bool stop = false;

  Shrinker make(Candidate original, ShrinkOptions options = {}) {
    Observer observer;
    observer.on_step = [this](const Step& s, const Candidate&) { steps.push_back(s); };
    return Shrinker(
        std::move(original), options,
        [this](const RerunRequest& r) {
          ++reruns;
          now += r.candidate.duration + 10 * kSecond;  // the run plus bring-up and checking
          RerunOutcome o;
          o.same_way = fails(r.candidate, r.attempt);
          o.verdict = o.same_way ? "invalid (breaker:decision)" : "valid";
          return o;
        },
        [this] { return now; }, [this] { return stop; }, observer);
  }
};

TEST(ShrinkSearch, OneCulpritOfTwelveBecomesOneShortEarlyFault) {
  Harness h;
  // Fails when the partition of n2 is there and lasts at least 1s.
  h.fails = [](const Candidate& c, int) {
    return std::any_of(c.faults.begin(), c.faults.end(),
                       [](const ScheduledFault& f) { return f.kind() == "partition" && f.end - f.start >= kSecond; });
  };
  auto shrinker = h.make(nightly());
  auto best = shrinker.run();
  ASSERT_EQ(best.faults.size(), 1u);
  const auto& f = best.faults[0];
  EXPECT_EQ(f.id, "f5");
  EXPECT_EQ(f.start, 2 * kSecond);          // moved to the lead
  EXPECT_EQ(f.end - f.start, kSecond);      // 4s halved to 2s, then 1s (still fails); 0.5s is below the minimum
  EXPECT_EQ(best.duration, f.end + 8 * kSecond);
  // Fewer targets: the isolation of n2 from n1 and n3 shrinks to a cut between two nodes.
  EXPECT_EQ(f.grudge.size(), 2u);
  EXPECT_FALSE(shrinker.stopped());
  EXPECT_EQ(h.steps.back().phase, "targets");
}

TEST(ShrinkSearch, TwoFaultsNeededTogetherStayTwo) {
  Harness h;
  h.fails = [](const Candidate& c, int) { return has_kill_of(c, "n2") && has_kill_of(c, "n3"); };
  auto best = h.make(nightly()).run();
  ASSERT_EQ(best.faults.size(), 2u);
  EXPECT_TRUE(has_kill_of(best, "n2"));
  EXPECT_TRUE(has_kill_of(best, "n3"));
  EXPECT_EQ(best.faults[0].start, 2 * kSecond);
  // The gap closed to 1s (second start 2s + 2s + 1s), then each kill halved to 1s.
  EXPECT_EQ(best.faults[1].start, 5 * kSecond);
  EXPECT_EQ(best.faults[0].end - best.faults[0].start, kSecond);
}

TEST(ShrinkSearch, ACandidateFailsWhenOneOfItsRerunsDoes) {
  Harness h;
  // Only every third rerun of a schedule with the partition fails: with
  // three reruns per candidate each failing candidate is still found.
  h.fails = [](const Candidate& c, int attempt) {
    return attempt == 3 && std::any_of(c.faults.begin(), c.faults.end(),
                                       [](const ScheduledFault& f) { return f.kind() == "partition"; });
  };
  auto shrinker = h.make(nightly());
  auto best = shrinker.run();
  ASSERT_EQ(best.faults.size(), 1u);
  EXPECT_EQ(best.faults[0].kind(), "partition");
  for (const auto& s : h.steps) {
    EXPECT_LE(s.reruns, 3);
    if (s.accepted) {
      EXPECT_EQ(s.reruns, 3);  // it took the third
    } else {
      EXPECT_EQ(s.failures, 0);
    }
  }
  auto confirmation = shrinker.confirm(best, 5);
  EXPECT_EQ(confirmation.runs, 5);
  EXPECT_EQ(confirmation.failures, 1);
}

TEST(ShrinkSearch, OneRerunPerCandidateWithRunsOne) {
  Harness h;
  int calls = 0;
  h.fails = [&](const Candidate& c, int) {
    ++calls;
    return has_kill_of(c, "n2");
  };
  ShrinkOptions options;
  options.runs = 1;
  auto best = h.make(nightly(), options).run();
  EXPECT_EQ(best.faults.size(), 1u);
  EXPECT_EQ(calls, static_cast<int>(h.steps.size()));
}

TEST(ShrinkSearch, BudgetEndsTheSearchWithTheBestSoFar) {
  Harness h;
  h.fails = [](const Candidate& c, int) { return has_kill_of(c, "n2"); };
  ShrinkOptions options;
  options.budget = 60 * kSecond;  // two reruns of the first, shorter candidates
  auto shrinker = h.make(nightly(), options);
  auto best = shrinker.run();
  EXPECT_TRUE(shrinker.over_budget());
  EXPECT_TRUE(shrinker.stopped());
  EXPECT_TRUE(has_kill_of(best, "n2"));
  EXPECT_LT(best.faults.size(), 12u);  // the first half was kept before the budget ran out
  EXPECT_LE(h.steps.size(), 2u);
}

TEST(ShrinkSearch, StopKeepsTheBestSoFar) {
  Harness h;
  h.fails = [&](const Candidate& c, int) {
    if (h.reruns >= 3) h.stop = true;  // Ctrl-C during the third rerun
    return has_kill_of(c, "n2");
  };
  auto shrinker = h.make(nightly());
  auto best = shrinker.run();
  EXPECT_TRUE(shrinker.stopped());
  EXPECT_FALSE(shrinker.over_budget());
  EXPECT_TRUE(has_kill_of(best, "n2"));
  EXPECT_LE(best.faults.size(), 6u);
  EXPECT_EQ(h.reruns, 3);
}

TEST(ShrinkSearch, CandidateRunsEndATailAfterTheirLastFault) {
  Harness h;
  std::vector<Nanos> durations;
  h.fails = [&](const Candidate& c, int) {
    durations.push_back(c.duration);
    Nanos last = 0;
    for (const auto& f : c.faults) last = std::max(last, f.end);
    EXPECT_EQ(c.duration, std::min<Nanos>(70 * kSecond, last + 8 * kSecond));
    return has_kill_of(c, "n2");
  };
  h.make(nightly()).run();
  EXPECT_FALSE(durations.empty());
}

TEST(WithoutTarget, DropsANodeFromTargetsOrFromAGrudge) {
  auto pause = fault("f1", "pause", 0, kSecond, {"n1", "n3"});
  auto fewer = without_target(pause, "n1");
  ASSERT_TRUE(fewer);
  EXPECT_EQ(fewer->targets, (std::vector<std::string>{"n3"}));
  EXPECT_FALSE(without_target(fault("f2", "kill", 0, kSecond, {"n2"}), "n2"));  // nothing left
  EXPECT_FALSE(without_target(pause, "n2"));                               // not a target

  auto cut = isolate("f3", "n1", 0, kSecond);  // n1 | n2 n3
  auto smaller = without_target(cut, "n2");
  ASSERT_TRUE(smaller);
  EXPECT_EQ(smaller->grudge, (Grudge{{"n1", {"n3"}}, {"n3", {"n1"}}}));
  EXPECT_EQ(smaller->targets, (std::vector<std::string>{"n1", "n3"}));
  EXPECT_FALSE(without_target(*smaller, "n3"));  // no cut left
}

}  // namespace
