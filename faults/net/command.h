// run_command: run a program (no shell) with optional stdin, capture its output.
//
// Contract: argv[0] is looked up in PATH (through common/process/launch.h), so no shell quoting
// is ever involved. stdin_data is written to the child's stdin, which is then
// closed. Returns the exit status and everything written to stdout/stderr; a
// spawn failure (program missing) is an kUnavailable Error naming it. A
// non-zero exit is NOT an error here: callers decide (see check_command).
// Safe to call from several threads.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace faultline::faults::net {

struct CommandOutput {
  int exit_code = -1;  // 128+signo when killed by a signal
  std::string out;
  std::string err;
};

Result<CommandOutput> run_command(const std::vector<std::string>& argv, std::string_view stdin_data = {});

// run_command, and an kIo Error "<argv0> failed (exit N): <stderr>" when the exit code is not 0.
Result<CommandOutput> check_command(const std::vector<std::string>& argv, std::string_view stdin_data = {});

// True when `name` is an executable file in PATH.
bool program_in_path(std::string_view name);

}  // namespace faultline::faults::net
