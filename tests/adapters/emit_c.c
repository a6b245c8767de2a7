/* Run by adapters_agent_test as a service under a real faultline-agent: reports
 * events through adapters/c/faultline_events.h, logs "ready", and after SIGTERM
 * keeps trying to report "after-term" for 300ms (which must be dropped). */
#define FAULTLINE_EVENTS_IMPLEMENTATION
#include "adapters/c/faultline_events.h"

#include <signal.h>
#include <time.h>

static volatile sig_atomic_t terminated = 0;
static void on_term(int sig) {
  (void)sig;
  terminated = 1;
}

static void sleep_ms(long ms) {
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
  nanosleep(&ts, NULL);
}

int main(void) {
  struct timespec start, now;
  int64_t op;
  signal(SIGTERM, on_term);
  if (faultline_events_open("n1") != 0) return 3;
  faultline_events_stop_on_sigterm();
  faultline_breaker_call("peer \"n2\"", 1, 1);
  faultline_breaker_result("peer \"n2\"", 1, 0);
  faultline_breaker_transition("peer \"n2\"", FAULTLINE_CLOSED, FAULTLINE_OPEN);
  faultline_breaker_call("peer \"n2\"", 2, 0);
  op = faultline_new_op_id();
  faultline_retry_attempt(op, 0, 0, "failure");
  sleep_ms(10);
  faultline_retry_attempt(op, 1, 10000000, "success");
  faultline_detector("n2", "suspect", -1);
  faultline_detector("n2", "alive", 3);
  faultline_log("ready");
  while (!terminated) sleep_ms(10);
  clock_gettime(CLOCK_MONOTONIC, &start);
  do {
    faultline_log("after-term");
    sleep_ms(10);
    clock_gettime(CLOCK_MONOTONIC, &now);
  } while ((now.tv_sec - start.tv_sec) * 1000 + (now.tv_nsec - start.tv_nsec) / 1000000 < 300);
  return faultline_events_stopped() ? 0 : 4;
}
