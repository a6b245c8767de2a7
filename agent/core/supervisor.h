// Supervisor: starts, stops and restarts the system under test (the SUT) and
// is the faults::ProcessControl the process mechanisms (kill, pause,
// cpu-throttle) act on.
//
// Contract:
//  - start() runs the SutSpec's command (through common/process/launch.h, no shell) in its own
//    session and process group (so it outlives a killed agent), with the agent's environment plus SutSpec.env plus
//    FAULTLINE_EVENTS=<state-dir>/events.sock, FAULTLINE_START (1 for the
//    start the controller asked for, 2, 3, ... for each restart after it)
//    and FAULTLINE_RESTART (0 for that first start, 1 for a restart, e.g.
//    after a kill fault: keep the data); stdout and stderr are appended
//    to <state-dir>/sut.stdout.log and sut.stderr.log; the working directory
//    is SutSpec.working_dir or the state dir. With per_process_clock it adds
//    LD_PRELOAD=<clock library> and FAULTLINE_CLOCK_SHM=<state-dir>/clock.shm;
//    with monotonic_offset the SUT starts in a new time namespace whose
//    monotonic and boottime clocks are offset by that much. A failure to exec
//    (missing binary, bad working dir) is returned as an Error, not a
//    silently dead child.
//  - stop() sends SIGTERM (and SIGCONT, so a paused SUT can die) to the
//    process group, then SIGKILL after the grace period, and reaps it.
//  - signal() signals the whole process group; pid() is the group leader.
//  - restart() stops the SUT if it runs and starts it again with the last
//    spec; it fails when no SUT was ever started.
//  Thread-safe. A SUT that exits by itself is reaped and reported by status().
#pragma once

#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <optional>
#include <thread>

#include <nlohmann/json.hpp>

#include "agent/protocol/types.h"
#include "common/result.h"
#include "faults/mechanism.h"

namespace faultline::agent {

class Supervisor : public faults::ProcessControl {
 public:
  // clock_lib: the LD_PRELOAD library (may be empty: per_process_clock then fails).
  Supervisor(std::filesystem::path state_dir, std::filesystem::path clock_lib);
  ~Supervisor() override;

  Result<int> start(const SutSpec& sut);
  Result<void> stop(Nanos grace = 5'000'000'000);

  bool running() const override;
  int pid() const override;
  Result<void> signal(int signo) override;
  Result<void> restart() override;

  nlohmann::json status() const;
  std::filesystem::path stdout_path() const { return state_dir_ / "sut.stdout.log"; }
  std::filesystem::path stderr_path() const { return state_dir_ / "sut.stderr.log"; }
  std::filesystem::path events_socket_path() const { return state_dir_ / "events.sock"; }
  std::filesystem::path clock_shm_path() const { return state_dir_ / "clock.shm"; }

 private:
  Result<int> start_locked(const SutSpec& sut, bool restart, std::unique_lock<std::mutex>& lock);
  Result<void> stop_locked(Nanos grace, std::unique_lock<std::mutex>& lock);

  std::filesystem::path state_dir_;
  std::filesystem::path clock_lib_;
  mutable std::mutex mutex_;
  std::condition_variable exited_;
  std::optional<SutSpec> spec_;
  int pid_ = -1;
  int starts_ = 0;
  int run_starts_ = 0;  // starts since the last start(): 1 for it, +1 per restart()
  std::optional<int> last_status_;  // raw wait status of the last exit
  std::thread waiter_;
};

// Finds libfaultline_clock.so: `explicit_path` if given, else next to the
// agent binary, else ../lib relative to it. Empty when none exists.
std::filesystem::path find_clock_library(const std::filesystem::path& explicit_path);

}  // namespace faultline::agent
