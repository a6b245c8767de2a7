// Small process helpers for providers: run a command and capture its output,
// or spawn a long-lived daemon (optionally inside a network namespace).
//
// Contract (both through common/process/launch.h): run_command() executes
// argv directly (no shell), waits, and returns its stdout then stderr, or an
// kIo Error naming the command and its output when it exits non-zero or
// cannot start. spawn_daemon() starts a child in its own session (so a
// terminal's Ctrl-C reaches only the controller, which then heals and stops
// things in order), optionally in the network namespace /run/netns/NETNS,
// with stdout/stderr appended to `log`; it returns the child's pid. An exec
// failure is reported as an Error.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include <sys/types.h>

#include "common/result.h"
#include "common/units.h"

namespace faultline::controller {

Result<std::string> run_command(const std::vector<std::string>& argv);
Result<pid_t> spawn_daemon(const std::vector<std::string>& argv, const std::filesystem::path& log,
                           const std::string& netns = "");
// SIGTERM, wait up to `grace`, then SIGKILL; reaps it if it is our child.
void stop_process(pid_t pid, Nanos grace = 3'000'000'000);
// False once the process has exited: reaped, gone, or a zombie.
bool process_alive(pid_t pid);

}  // namespace faultline::controller
