#include "controller/run/signals.h"

#include <atomic>
#include <csignal>

namespace faultline::controller {
namespace {

std::atomic<int> g_signal{0};
struct sigaction g_old_int {}, g_old_term {}, g_old_pipe {};

extern "C" void on_signal(int signo) { g_signal.store(signo); }

}  // namespace

SignalScope::SignalScope() {
  g_signal = 0;
  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  ::sigaction(SIGINT, &sa, &g_old_int);
  ::sigaction(SIGTERM, &sa, &g_old_term);
  struct sigaction ignore {};
  ignore.sa_handler = SIG_IGN;
  ::sigaction(SIGPIPE, &ignore, &g_old_pipe);
}

SignalScope::~SignalScope() {
  ::sigaction(SIGINT, &g_old_int, nullptr);
  ::sigaction(SIGTERM, &g_old_term, nullptr);
  ::sigaction(SIGPIPE, &g_old_pipe, nullptr);
}

bool interrupted() { return g_signal.load() != 0; }
int interrupting_signal() { return g_signal.load(); }

}  // namespace faultline::controller
