// fan_out: how the controller sends one step to many agents at once.
//
// Contract: fan_out(n, fn) calls fn(i) for every i in [0, n), all
// concurrently (never fewer than n threads available to them: no call waits
// for another to finish before it starts), and returns when every call has
// returned. fn must not throw; results go into slots indexed by i that the
// caller owns. The runner uses it for connecting, starting the SUT, applying
// and healing a fault on its nodes and the final heal; bench/controller
// measures it.
//
// The threads are a process-wide pool that grows to the largest number of
// calls ever in flight and is kept for the process's life (parked on a
// condition variable, no CPU): creating and joining a thread per call cost
// ~45 us each at n = 5 and ~290 us each at n = 200 on a loaded 2-CPU VM
// (stack mmap/munmap under the mm lock), 58 ms for one fan-out to 200 agents,
// more than the agents' own work. fan_out may be called from several
// threads at once, and from inside fn (each call gets threads of its own).
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <latch>
#include <mutex>
#include <thread>

namespace faultline::controller {

namespace fan_out_detail {

struct Task {
  void (*run)(void* fn, std::size_t i) = nullptr;
  void* fn = nullptr;
  std::size_t index = 0;
  std::latch* done = nullptr;
};

class Pool {
 public:
  // Never destroyed: its threads park on it until the process exits.
  static Pool& instance() {
    static Pool* pool = new Pool;
    return *pool;
  }

  void run(std::size_t n, void (*call)(void*, std::size_t), void* fn) {
    std::latch done(static_cast<std::ptrdiff_t>(n));
    {
      std::lock_guard lock(mutex_);
      for (std::size_t i = 0; i < n; ++i) queue_.push_back({call, fn, i, &done});
      // Every queued task must have a thread free to take it now.
      while (idle_ < queue_.size()) {
        ++idle_;
        std::thread([this] { work(); }).detach();
      }
    }
    for (std::size_t i = 0; i < n; ++i) wake_.notify_one();
    done.wait();
  }

 private:
  Pool() = default;

  void work() {
    std::unique_lock lock(mutex_);
    for (;;) {
      wake_.wait(lock, [this] { return !queue_.empty(); });
      Task task = queue_.front();
      queue_.pop_front();
      --idle_;
      lock.unlock();
      task.run(task.fn, task.index);
      task.done->count_down();
      lock.lock();
      ++idle_;
    }
  }

  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Task> queue_;
  std::size_t idle_ = 0;  // threads not running a task (waiting, or about to)
};

}  // namespace fan_out_detail

template <class Fn>
void fan_out(std::size_t n, Fn fn) {
  if (n == 0) return;
  fan_out_detail::Pool::instance().run(
      n, [](void* f, std::size_t i) { (*static_cast<Fn*>(f))(i); }, &fn);
}

}  // namespace faultline::controller
