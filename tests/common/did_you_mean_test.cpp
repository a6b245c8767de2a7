#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

#include "common/did_you_mean.h"

using namespace faultline;

TEST(DidYouMean, TheClosestKnownNameWithinTwoEdits) {
  std::vector<std::string> fields{"delay", "jitter", "correlation", "distribution"};
  EXPECT_EQ(closest_name("jiter", fields), "jitter");
  EXPECT_EQ(closest_name("dealy", fields), "delay");
  EXPECT_EQ(closest_name("corelation", fields), "correlation");
  EXPECT_EQ(closest_name("percent", fields), "");
  EXPECT_EQ(closest_name("x", std::set<std::string>{"y"}), "");  // no suggestion as long as the name itself
  EXPECT_EQ(edit_distance("kitten", "sitting"), 3u);
}
