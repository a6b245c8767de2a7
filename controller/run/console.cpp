#include "controller/run/console.h"

#include <cstdio>

namespace faultline::controller {

void Console::line(const std::string& text) {
  std::lock_guard lock(mutex_);
  if (quiet_) return;
  if (tty_ && status_shown_) std::fputs("\r\033[K", stderr);
  std::fprintf(stderr, "faultline: %s\n", text.c_str());
  status_shown_ = false;
}

void Console::status(const std::string& text) {
  std::lock_guard lock(mutex_);
  if (quiet_) return;
  if (tty_) {
    std::fprintf(stderr, "\r\033[K%s", text.c_str());
    status_shown_ = true;
  } else {
    std::fprintf(stderr, "faultline: %s\n", text.c_str());
  }
  std::fflush(stderr);
}

void Console::finish() {
  std::lock_guard lock(mutex_);
  if (tty_ && status_shown_) std::fputs("\r\033[K", stderr);
  status_shown_ = false;
}

}  // namespace faultline::controller
