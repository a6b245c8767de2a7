// Client processes: how the runner starts a client so that it never
// outlives the controller.
//
// Contract:
//  - spawn_client() runs `sh -c COMMAND` on this host with stdout on a new
//    pipe (the returned fd, non-blocking, close-on-exec), stderr appended to
//    `log`, stdin from /dev/null, all signals unblocked, in a process group
//    of its own (pgid = pid, so a terminal's Ctrl-C reaches only the
//    controller), and with a parent-death signal (SIGKILL): if the thread
//    that called spawn_client() dies, so does the client. Call it from the
//    thread that lives as long as the run (the main thread).
//  - spawn_watchdog() starts one small shell, in its own process group and
//    deaf to SIGINT/SIGTERM/SIGHUP, whose stdin is a pipe only the
//    controller holds open; when the controller dies (any way, kill -9
//    included) the pipe reaches end of file and the watchdog kills every
//    listed process group (SIGTERM, then SIGKILL after `grace`), so clients
//    that forked children of their own are stopped too. stop_watchdog()
//    ends it without it killing anything.
// Both go through common/process/launch.h.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <string>
#include <vector>

#include "common/result.h"
#include "common/units.h"

namespace faultline::controller {

struct SpawnedClient {
  pid_t pid = -1;   // also its process group id
  int stdout_fd = -1;
};

Result<SpawnedClient> spawn_client(const std::string& command, const std::filesystem::path& log);

struct Watchdog {
  pid_t pid = -1;
  int lifeline = -1;  // the write end; closing it (or dying) fires the watchdog
};

Result<Watchdog> spawn_watchdog(const std::vector<pid_t>& groups, Nanos grace = 1'000'000'000);
void stop_watchdog(Watchdog& watchdog);

}  // namespace faultline::controller
