// eventually(): poll a condition until it holds or a time limit passes.
//
// Contract: calls `condition` every 10 ms until it returns true (-> true) or
// `limit` has passed, then once more and returns that answer, so a condition
// that becomes true right at the deadline still counts. Header-only; for
// tests that wait on real processes, files and sockets.
#pragma once

#include <chrono>
#include <thread>

namespace faultline::testing {

template <class Condition>
bool eventually(Condition condition, std::chrono::milliseconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    if (condition()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return condition();
}

}  // namespace faultline::testing
