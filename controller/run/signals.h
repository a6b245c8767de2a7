// Run signals: SIGINT/SIGTERM during `faultline run` ask for an orderly stop
// (heal everything, write what there is, exit 2), never an abrupt one.
//
// Contract: while a SignalScope lives, SIGINT and SIGTERM only set a flag
// that interrupted() reads and SIGPIPE is ignored; the previous dispositions
// come back when it dies. One scope at a time.
#pragma once

namespace faultline::controller {

class SignalScope {
 public:
  SignalScope();
  ~SignalScope();
  SignalScope(const SignalScope&) = delete;
  SignalScope& operator=(const SignalScope&) = delete;
};

bool interrupted();
int interrupting_signal();  // 0 when none

}  // namespace faultline::controller
