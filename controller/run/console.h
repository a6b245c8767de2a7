// Console: what `faultline run` tells the person watching it.
//
// Contract: line() prints "faultline: TEXT" on stderr; status() shows a
// one-line progress status that the next line() or status() replaces on a
// terminal (on a pipe or file every status is its own line). quiet drops
// everything. Thread-safe.
#pragma once

#include <mutex>
#include <string>

namespace faultline::controller {

class Console {
 public:
  Console(bool tty, bool quiet) : tty_(tty), quiet_(quiet) {}
  void line(const std::string& text);
  void status(const std::string& text);
  void finish();  // clears a status line left on a terminal
  bool tty() const { return tty_; }

 private:
  std::mutex mutex_;
  bool tty_;
  bool quiet_;
  bool status_shown_ = false;
};

}  // namespace faultline::controller
