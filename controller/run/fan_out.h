// fan_out: how the controller sends one step to many agents at once.
//
// Contract: fan_out(n, fn) calls fn(i) for every i in [0, n), each on its own
// thread, all concurrently, and returns when every call has returned. fn must
// not throw; results go into slots indexed by i that the caller owns. The
// runner uses it for connecting, starting the SUT, applying and healing a
// fault on its nodes and the final heal; bench/controller measures it.
#pragma once

#include <cstddef>
#include <thread>
#include <vector>

namespace faultline::controller {

template <class Fn>
void fan_out(std::size_t n, Fn fn) {
  std::vector<std::thread> threads;
  threads.reserve(n);
  for (std::size_t i = 0; i < n; ++i) threads.emplace_back([&fn, i] { fn(i); });
  for (auto& t : threads) t.join();
}

}  // namespace faultline::controller
