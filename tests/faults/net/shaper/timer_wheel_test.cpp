#include "faults/net/shaper/timer_wheel.h"

#include <gtest/gtest.h>

#include <random>
#include <vector>

namespace faultline::faults::shaper {
namespace {

using Fired = std::vector<std::pair<Nanos, int>>;

Fired expire(TimerWheel<int>& wheel, Nanos now) {
  Fired fired;
  wheel.expire(now, [&](Nanos due, int value) { fired.emplace_back(due, value); });
  return fired;
}

TEST(TimerWheel, FiresNothingBeforeDueAndEverythingAtDue) {
  TimerWheel<int> wheel(1000, 64, 0);
  wheel.schedule(5500, 1);
  EXPECT_EQ(wheel.next_due(), 5500);
  EXPECT_TRUE(expire(wheel, 5499).empty());
  EXPECT_EQ(wheel.size(), 1u);
  EXPECT_EQ(expire(wheel, 5500), (Fired{{5500, 1}}));
  EXPECT_TRUE(wheel.empty());
  EXPECT_EQ(wheel.next_due(), std::nullopt);
}

TEST(TimerWheel, OrdersByDueThenBySchedulingOrder) {
  TimerWheel<int> wheel(1000, 64, 0);
  wheel.schedule(3000, 1);
  wheel.schedule(2100, 2);  // same slot as 2900, earlier due
  wheel.schedule(2900, 3);
  wheel.schedule(2100, 4);  // equal due: after 2
  EXPECT_EQ(wheel.next_due(), 2100);
  EXPECT_EQ(expire(wheel, 10'000), (Fired{{2100, 2}, {2100, 4}, {2900, 3}, {3000, 1}}));
}

TEST(TimerWheel, EntriesBeyondOneRevolutionWaitForTheirRound) {
  TimerWheel<int> wheel(1000, 64, 0);  // one revolution = 64 us
  wheel.schedule(64'000 * 3 + 500, 1);  // same slot as 500, three rounds later
  wheel.schedule(500, 2);
  EXPECT_EQ(wheel.next_due(), 500);
  EXPECT_EQ(expire(wheel, 1000), (Fired{{500, 2}}));
  EXPECT_EQ(wheel.next_due(), 64'000 * 3 + 500);
  EXPECT_TRUE(expire(wheel, 64'000 * 2).empty());
  EXPECT_TRUE(expire(wheel, 64'000 * 3).empty());
  EXPECT_EQ(expire(wheel, 64'000 * 3 + 500), (Fired{{64'000 * 3 + 500, 1}}));
}

TEST(TimerWheel, PastEntriesFireOnTheNextExpire) {
  TimerWheel<int> wheel(1000, 64, 50'000);
  wheel.schedule(10, 7);
  EXPECT_EQ(wheel.next_due(), 10);
  EXPECT_EQ(expire(wheel, 50'000), (Fired{{10, 7}}));
}

TEST(TimerWheel, MatchesASortedReferenceUnderRandomLoad) {
  std::mt19937 rng(42);
  TimerWheel<int> wheel(250, 128, 0);
  std::multimap<std::pair<Nanos, int>, int> reference;  // (due, seq) -> value
  Nanos now = 0;
  int seq = 0;
  Fired fired, expected;
  for (int step = 0; step < 20'000; ++step) {
    now += rng() % 300;
    for (int k = rng() % 3; k > 0; --k) {
      Nanos due = now + static_cast<Nanos>(rng() % 100'000);  // up to ~3 revolutions ahead
      wheel.schedule(due, seq);
      reference.emplace(std::make_pair(due, seq), seq);
      ++seq;
    }
    if (auto next = wheel.next_due()) {
      ASSERT_FALSE(reference.empty());
      ASSERT_EQ(*next, reference.begin()->first.first);
    } else {
      ASSERT_TRUE(reference.empty());
    }
    wheel.expire(now, [&](Nanos due, int value) { fired.emplace_back(due, value); });
    while (!reference.empty() && reference.begin()->first.first <= now) {
      expected.emplace_back(reference.begin()->first.first, reference.begin()->second);
      reference.erase(reference.begin());
    }
    ASSERT_EQ(fired, expected) << "at step " << step;
  }
  EXPECT_GT(seq, 10'000);
}

}  // namespace
}  // namespace faultline::faults::shaper
