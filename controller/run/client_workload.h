// ClientWorkload: the suite's client processes and the ops they report.
//
// Contract:
//  - start() runs `client.command` once per client c in [0, concurrency)
//    on the controller host (client_process.h: own process group, stderr to
//    OUT/logs/client-<c>.log, dies with the controller), with the client
//    placeholders for c (placeholders.h). Before the clients run, their
//    process groups are recorded in the cluster's state file, and a
//    watchdog is armed that kills them if the controller dies.
//  - Each line a client prints is one JSON op ({"type": "invoke" | "ok" |
//    "fail" | "info", ...}) recorded in the history with "process" = c
//    unless the line names one, at the time client_stamps.h derives: the
//    client's own CLOCK_MONOTONIC stamp ("mono_ns") when it gives a possible
//    one, else an invoke at the last moment the controller saw that
//    client's pipe empty and a completion at the moment it read the line.
//    One thread reads every client's pipe; it looks at each pipe at least
//    every millisecond, which bounds how much earlier than the truth an
//    unstamped invoke can be. A line that is not a JSON op becomes a "log"
//    line. A client that cannot start is a run error.
//  - stop() sends SIGTERM to every client's process group, SIGKILL after
//    3 s, reaps them, records what they printed before they went, and
//    disarms the watchdog.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <thread>
#include <vector>

#include "controller/run/client_process.h"
#include "controller/run/client_stamps.h"
#include "controller/run/run_context.h"

namespace faultline::controller {

class ClientWorkload {
 public:
  explicit ClientWorkload(RunContext& ctx) : ctx_(ctx) {}
  ~ClientWorkload() { stop(); }
  ClientWorkload(const ClientWorkload&) = delete;
  ClientWorkload& operator=(const ClientWorkload&) = delete;

  void start();
  void stop();

 private:
  struct Client {
    pid_t pid = -1;
    int fd = -1;
    OpLineSplitter lines;
    Nanos empty_since = 0;  // the pipe was empty at this instant or later
    bool warned = false;    // about an impossible client stamp
  };
  void read_loop();
  void drain(std::size_t c);
  void record(std::size_t c, const TimedLine& line);

  RunContext& ctx_;
  std::vector<Client> clients_;
  Watchdog watchdog_;
  int wake_fd_ = -1;
  std::atomic<bool> stopping_{false};
  std::thread reader_;
};

}  // namespace faultline::controller
