#!/usr/bin/python3
"""Run by adapters_agent_test as a service under a real faultline-agent: drives
the real python circuitbreaker, tenacity and backoff through
adapters/python/faultline_events.py's hooks, logs "ready", and after SIGTERM
keeps trying to report "after-term" for 300ms (which the emitter must drop)."""
import os
import signal
import sys
import time

sys.path.insert(0, sys.argv[1])
import backoff  # noqa: E402
import circuitbreaker  # noqa: E402
import tenacity  # noqa: E402

import faultline_events as fe  # noqa: E402

terminated = False


def on_term(signum, frame):
    global terminated
    terminated = True


signal.signal(signal.SIGTERM, on_term)
em = fe.Emitter(node="n1")  # chains its SIGTERM handler before on_term

# Breaker: two failures open it, a call is rejected, after the 200ms recovery
# timeout a success closes it.
cb = circuitbreaker.CircuitBreaker(failure_threshold=2, recovery_timeout=0.2, expected_exception=IOError, name="cb")
hook = fe.CircuitBreakerHook(em, cb)


def failing():
    raise IOError("down")


for _ in range(2):
    try:
        hook.call(failing)
    except IOError:
        pass
try:
    hook.call(lambda: None)
except circuitbreaker.CircuitBreakerError:
    pass
time.sleep(0.25)
hook.call(lambda: None)

# tenacity: two failures then a success, 10ms apart.
hooks = fe.TenacityHooks(em)
tries = {"n": 0}


def flaky():
    tries["n"] += 1
    if tries["n"] <= 2:
        raise IOError("transient")


tenacity.Retrying(wait=tenacity.wait_fixed(0.01), stop=tenacity.stop_after_attempt(5),
                  retry=hooks.retry(tenacity.retry_if_exception_type(IOError)), before_sleep=hooks.before_sleep)(flaky)

# backoff: one failure then a success, 10ms apart.
once = {"n": 0}


@backoff.on_exception(backoff.constant, IOError, interval=0.01, jitter=None, max_tries=3, **fe.backoff_handlers(em))
def flaky_once():
    once["n"] += 1
    if once["n"] == 1:
        raise IOError("transient")


flaky_once()
em.detector("n2", "suspect")
em.detector("n2", "alive", incarnation=1)
em.log("ready")
while not terminated:
    time.sleep(0.01)
deadline = time.monotonic() + 0.3
while time.monotonic() < deadline:
    em.log("after-term")
    time.sleep(0.01)
