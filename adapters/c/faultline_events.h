/* faultline_events.h: report breaker, retry and detector events to faultline.
 *
 * A single header for C (C99) and C++, POSIX only, no dependencies. In exactly
 * one .c/.cpp file of the program:
 *     #define FAULTLINE_EVENTS_IMPLEMENTATION
 *     #include "faultline_events.h"
 * and include it plainly everywhere else.
 *
 * Contract (docs/events.md is the full event contract):
 *  - faultline_events_open() reads FAULTLINE_EVENTS, the unix datagram socket
 *    the faultline agent gives the service it starts, and sends one JSON
 *    object per datagram there; the agent stamps each with the moment it was
 *    sent. With no FAULTLINE_EVENTS the events go to stderr as JSON lines.
 *    `node` names the reporting node (NULL: FAULTLINE_NODE, else the host name).
 *  - Every function is thread-safe and never blocks more than 1 s: a datagram
 *    the agent cannot take in that time is dropped and counted
 *    (faultline_events_dropped()). They return 0 when the event was sent (or
 *    deliberately not), -1 when it was dropped.
 *  - faultline_events_stop_on_sigterm() makes the process report nothing more
 *    once it receives SIGTERM (while it shuts down its behaviour is not under
 *    test); the SIGTERM handler that was installed before still runs, or the
 *    default action if there was none.
 *  - faultline_new_op_id(): a retry operation id that is unique across this
 *    node's restarts (a random per-process prefix and a counter, < 2^53).
 *  - Strings are JSON-escaped; names longer than 200 bytes are cut.
 */
#ifndef FAULTLINE_EVENTS_H
#define FAULTLINE_EVENTS_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* States and outcomes as the history spells them. */
#define FAULTLINE_CLOSED "closed"
#define FAULTLINE_OPEN "open"
#define FAULTLINE_HALF_OPEN "half_open"

int faultline_events_open(const char* node);
void faultline_events_close(void);
void faultline_events_stop_on_sigterm(void);
int faultline_events_stopped(void);
uint64_t faultline_events_dropped(void);
int64_t faultline_new_op_id(void);

int faultline_breaker_call(const char* name, int64_t call, int permitted);
int faultline_breaker_result(const char* name, int64_t call, int success);
int faultline_breaker_transition(const char* name, const char* from, const char* to);
/* outcome: "success", "failure" or "non-retryable"; delay_ns slept before it. */
int faultline_retry_attempt(int64_t op, int64_t attempt, int64_t delay_ns, const char* outcome);
/* status: "alive", "suspect" or "dead"; incarnation < 0 leaves it out. */
int faultline_detector(const char* subject, const char* status, int64_t incarnation);
int faultline_log(const char* message);
/* Any event: `json_fields` are the fields after "type" (e.g. "\"x\":1"), or "". */
int faultline_emit_raw(const char* type, const char* json_fields);

#ifdef __cplusplus
}
#endif

#ifdef FAULTLINE_EVENTS_IMPLEMENTATION

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

static pthread_mutex_t faultline_ev_mu_ = PTHREAD_MUTEX_INITIALIZER;
static struct { /* zero-initialized: no socket (stderr), not stopped */
  int have_socket;
  int fd;
  struct sockaddr_un addr;
  char node[256];
  volatile sig_atomic_t stopped;
  uint64_t dropped;
  int64_t op_prefix;
  int64_t op_next;
  struct sigaction previous_term;
} faultline_ev_;

/* Appends `s` JSON-escaped (at most `max` input bytes) to out[*n..cap). */
static void faultline_ev_escape_(char* out, size_t* n, size_t cap, const char* s, size_t max) {
  static const char hex[] = "0123456789abcdef";
  size_t i;
  for (i = 0; s && s[i] && i < max && *n + 7 < cap; ++i) {
    unsigned char c = (unsigned char)s[i];
    if (c == '"' || c == '\\') {
      out[(*n)++] = '\\';
      out[(*n)++] = (char)c;
    } else if (c < 0x20) {
      out[(*n)++] = '\\';
      out[(*n)++] = 'u';
      out[(*n)++] = '0';
      out[(*n)++] = '0';
      out[(*n)++] = hex[c >> 4];
      out[(*n)++] = hex[c & 15];
    } else {
      out[(*n)++] = (char)c;
    }
  }
  out[*n] = 0;
}

int faultline_events_open(const char* node) {
  const char* path = getenv("FAULTLINE_EVENTS");
  const char* env_node = getenv("FAULTLINE_NODE");
  struct timeval tv = {1, 0};
  int64_t seed;
  pthread_mutex_lock(&faultline_ev_mu_);
  if (node && *node) snprintf(faultline_ev_.node, sizeof faultline_ev_.node, "%s", node);
  else if (env_node && *env_node) snprintf(faultline_ev_.node, sizeof faultline_ev_.node, "%s", env_node);
  else if (gethostname(faultline_ev_.node, sizeof faultline_ev_.node - 1) != 0) strcpy(faultline_ev_.node, "node");
  if (faultline_ev_.op_prefix == 0) {
    struct timespec ts;
    int rnd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
    seed = 0;
    if (rnd < 0 || read(rnd, &seed, sizeof seed) != (ssize_t)sizeof seed) {
      clock_gettime(CLOCK_MONOTONIC, &ts);
      seed = (int64_t)ts.tv_nsec ^ ((int64_t)getpid() << 16);
    }
    if (rnd >= 0) close(rnd);
    faultline_ev_.op_prefix = ((int64_t)(((uint64_t)seed % ((1u << 20) - 1)) + 1)) << 32;
  }
  if (faultline_ev_.have_socket) close(faultline_ev_.fd);
  faultline_ev_.have_socket = 0;
  if (path && *path && strlen(path) < sizeof faultline_ev_.addr.sun_path) {
    faultline_ev_.fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (faultline_ev_.fd >= 0) {
      faultline_ev_.have_socket = 1;
      setsockopt(faultline_ev_.fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
      memset(&faultline_ev_.addr, 0, sizeof faultline_ev_.addr);
      faultline_ev_.addr.sun_family = AF_UNIX;
      memcpy(faultline_ev_.addr.sun_path, path, strlen(path));
    }
  }
  pthread_mutex_unlock(&faultline_ev_mu_);
  return faultline_ev_.have_socket || !(path && *path) ? 0 : -1;
}

void faultline_events_close(void) {
  pthread_mutex_lock(&faultline_ev_mu_);
  if (faultline_ev_.have_socket) close(faultline_ev_.fd);
  faultline_ev_.have_socket = 0;
  faultline_ev_.stopped = 1;
  pthread_mutex_unlock(&faultline_ev_mu_);
}

static void faultline_ev_on_sigterm_(int sig, siginfo_t* info, void* context) {
  struct sigaction* prev = &faultline_ev_.previous_term;
  faultline_ev_.stopped = 1;
  if (prev->sa_flags & SA_SIGINFO) {
    if (prev->sa_sigaction) prev->sa_sigaction(sig, info, context);
  } else if (prev->sa_handler == SIG_DFL) {
    signal(SIGTERM, SIG_DFL);
    raise(SIGTERM);
  } else if (prev->sa_handler != SIG_IGN && prev->sa_handler) {
    prev->sa_handler(sig);
  }
}

void faultline_events_stop_on_sigterm(void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = faultline_ev_on_sigterm_;
  sa.sa_flags = SA_SIGINFO | SA_RESTART;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGTERM, &sa, &faultline_ev_.previous_term);
}

int faultline_events_stopped(void) { return faultline_ev_.stopped != 0; }

uint64_t faultline_events_dropped(void) {
  uint64_t n;
  pthread_mutex_lock(&faultline_ev_mu_);
  n = faultline_ev_.dropped;
  pthread_mutex_unlock(&faultline_ev_mu_);
  return n;
}

int64_t faultline_new_op_id(void) {
  int64_t id;
  pthread_mutex_lock(&faultline_ev_mu_);
  if (faultline_ev_.op_prefix == 0) faultline_ev_.op_prefix = ((int64_t)((getpid() & 0xfffff) + 1)) << 32;
  id = faultline_ev_.op_prefix + ++faultline_ev_.op_next;
  pthread_mutex_unlock(&faultline_ev_mu_);
  return id;
}

int faultline_emit_raw(const char* type, const char* json_fields) {
  char line[2048];
  size_t n = 0;
  int rc = 0;
  ssize_t sent;
  if (faultline_ev_.stopped) return 0;
  pthread_mutex_lock(&faultline_ev_mu_);
  if (faultline_ev_.stopped) {
    pthread_mutex_unlock(&faultline_ev_mu_);
    return 0;
  }
  memcpy(line, "{\"type\":\"", 9);
  n = 9;
  faultline_ev_escape_(line, &n, sizeof line, type, 64);
  n += (size_t)snprintf(line + n, sizeof line - n, "\",\"node\":\"");
  faultline_ev_escape_(line, &n, sizeof line, faultline_ev_.node, 200);
  n += (size_t)snprintf(line + n, sizeof line - n, "\"%s%s}", json_fields && *json_fields ? "," : "",
                        json_fields ? json_fields : "");
  if (n >= sizeof line) n = sizeof line - 1;
  if (!faultline_ev_.have_socket) {
    fprintf(stderr, "%s\n", line);
  } else {
    do {
      sent = sendto(faultline_ev_.fd, line, n, 0, (struct sockaddr*)&faultline_ev_.addr, sizeof faultline_ev_.addr);
    } while (sent < 0 && errno == EINTR);
    if (sent < 0) {
      ++faultline_ev_.dropped;
      rc = -1;
    }
  }
  pthread_mutex_unlock(&faultline_ev_mu_);
  return rc;
}

static int faultline_ev_named_(const char* type, const char* name_field, const char* name, const char* rest) {
  char fields[1024];
  size_t n = 0;
  n += (size_t)snprintf(fields, sizeof fields, "\"%s\":\"", name_field);
  faultline_ev_escape_(fields, &n, sizeof fields, name, 200);
  snprintf(fields + n, sizeof fields - n, "\"%s", rest);
  return faultline_emit_raw(type, fields);
}

int faultline_breaker_call(const char* name, int64_t call, int permitted) {
  char rest[128];
  snprintf(rest, sizeof rest, ",\"event\":\"call\",\"call\":%lld,\"permitted\":%s", (long long)call,
           permitted ? "true" : "false");
  return faultline_ev_named_("breaker", "name", name, rest);
}

int faultline_breaker_result(const char* name, int64_t call, int success) {
  char rest[128];
  snprintf(rest, sizeof rest, ",\"event\":\"result\",\"call\":%lld,\"outcome\":\"%s\"", (long long)call,
           success ? "success" : "failure");
  return faultline_ev_named_("breaker", "name", name, rest);
}

int faultline_breaker_transition(const char* name, const char* from, const char* to) {
  char rest[256];
  size_t n = 0;
  n += (size_t)snprintf(rest, sizeof rest, ",\"event\":\"transition\",\"from\":\"");
  faultline_ev_escape_(rest, &n, sizeof rest, from, 16);
  n += (size_t)snprintf(rest + n, sizeof rest - n, "\",\"to\":\"");
  faultline_ev_escape_(rest, &n, sizeof rest, to, 16);
  snprintf(rest + n, sizeof rest - n, "\"");
  return faultline_ev_named_("breaker", "name", name, rest);
}

int faultline_retry_attempt(int64_t op, int64_t attempt, int64_t delay_ns, const char* outcome) {
  char fields[256];
  size_t n = 0;
  n += (size_t)snprintf(fields, sizeof fields, "\"op\":%lld,\"attempt\":%lld,\"delay\":%lld,\"outcome\":\"",
                        (long long)op, (long long)attempt, (long long)delay_ns);
  faultline_ev_escape_(fields, &n, sizeof fields, outcome, 32);
  snprintf(fields + n, sizeof fields - n, "\"");
  return faultline_emit_raw("retry", fields);
}

int faultline_detector(const char* subject, const char* status, int64_t incarnation) {
  char rest[128];
  size_t n = 0;
  n += (size_t)snprintf(rest, sizeof rest, ",\"status\":\"");
  faultline_ev_escape_(rest, &n, sizeof rest, status, 16);
  if (incarnation >= 0) snprintf(rest + n, sizeof rest - n, "\",\"incarnation\":%lld", (long long)incarnation);
  else snprintf(rest + n, sizeof rest - n, "\"");
  return faultline_ev_named_("detector", "subject", subject, rest);
}

int faultline_log(const char* message) {
  char fields[1200];
  size_t n = 0;
  n += (size_t)snprintf(fields, sizeof fields, "\"message\":\"");
  faultline_ev_escape_(fields, &n, sizeof fields, message, 1000);
  snprintf(fields + n, sizeof fields - n, "\"");
  return faultline_emit_raw("log", fields);
}

#endif /* FAULTLINE_EVENTS_IMPLEMENTATION */
#endif /* FAULTLINE_EVENTS_H */
