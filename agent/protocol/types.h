// Value types the agent and its client exchange (agent/PROTOCOL.md): the
// system under test as the supervisor starts it, and what an applied fault
// reports back.
//
// Contract: plain data, no behaviour; JSON shapes are in messages.h. Both
// sides of the protocol include this file; nothing here knows about sockets.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/units.h"

namespace faultline::agent {

// The system under test, as the agent's supervisor starts it.
struct SutSpec {
  std::vector<std::string> command;            // argv[0] and arguments
  std::map<std::string, std::string> env;      // added to the agent's environment
  std::string working_dir;                     // empty: the agent's state dir
  bool per_process_clock = false;              // inject libfaultline_clock.so (clock faults)
  std::optional<Nanos> monotonic_offset;       // start in a time namespace with this offset
  std::string data_fs;                         // mount the faultable data fs here first (empty: none)
};

struct AppliedFault {
  std::string id;
  std::string mechanism;
  std::string description;
};

// What a command run inside the node (the agent's "exec") did.
struct CommandRun {
  int exit_code = -1;      // 128 + signal when killed by one
  bool timed_out = false;  // killed at its timeout
  std::string output;      // stdout then stderr, the last 64 KiB of each
};

}  // namespace faultline::agent
