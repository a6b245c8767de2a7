// ddmin (controller/shrink/ddmin.h) over synthetic failure predicates.
#include <algorithm>
#include <set>

#include <gtest/gtest.h>

#include "controller/shrink/ddmin.h"

using namespace faultline::controller::shrink;

namespace {

bool contains(const Subset& s, std::size_t item) { return std::find(s.begin(), s.end(), item) != s.end(); }

TEST(Ddmin, FindsOneCulprit) {
  int asked = 0;
  auto result = ddmin(16, [&](const Subset& s) -> std::optional<bool> {
    ++asked;
    return contains(s, 11);
  });
  EXPECT_EQ(result, (Subset{11}));
  EXPECT_LE(asked, 12);  // about 2 log2(16) for a single culprit
}

TEST(Ddmin, FindsAPairThatFailsOnlyTogether) {
  auto result = ddmin(10, [](const Subset& s) -> std::optional<bool> { return contains(s, 3) && contains(s, 7); });
  EXPECT_EQ(result, (Subset{3, 7}));
}

TEST(Ddmin, ResultIsOneMinimalForAThreeWayInteraction) {
  auto fails = [](const Subset& s) { return contains(s, 0) && contains(s, 5) && contains(s, 12); };
  auto result = ddmin(13, [&](const Subset& s) -> std::optional<bool> { return fails(s); });
  EXPECT_EQ(result, (Subset{0, 5, 12}));
  for (std::size_t i = 0; i < result.size(); ++i) {
    Subset smaller = result;
    smaller.erase(smaller.begin() + static_cast<long>(i));
    EXPECT_FALSE(fails(smaller));
  }
}

TEST(Ddmin, NeverAsksTheSameSubsetTwiceNorTheFullOrEmptySet) {
  std::set<Subset> seen;
  auto result = ddmin(9, [&](const Subset& s) -> std::optional<bool> {
    EXPECT_FALSE(s.empty());
    EXPECT_LT(s.size(), 9u);
    EXPECT_TRUE(seen.insert(s).second) << "asked twice";
    return contains(s, 2) && contains(s, 8);
  });
  EXPECT_EQ(result, (Subset{2, 8}));
}

TEST(Ddmin, NothingSmallerFailsKeepsEverything) {
  auto result = ddmin(4, [](const Subset&) -> std::optional<bool> { return false; });
  EXPECT_EQ(result, (Subset{0, 1, 2, 3}));
}

TEST(Ddmin, SingleItemNeedsNoQuestion) {
  int asked = 0;
  auto result = ddmin(1, [&](const Subset&) -> std::optional<bool> {
    ++asked;
    return true;
  });
  EXPECT_EQ(result, (Subset{0}));
  EXPECT_EQ(asked, 0);
}

TEST(Ddmin, StopKeepsTheSmallestFailingSetSoFar) {
  int asked = 0;
  auto result = ddmin(16, [&](const Subset& s) -> std::optional<bool> {
    if (++asked > 1) return std::nullopt;  // budget spent after one question
    return contains(s, 3);
  });
  EXPECT_EQ(result, (Subset{0, 1, 2, 3, 4, 5, 6, 7}));  // the first half failed, then the stop
}

}  // namespace
