#!/usr/bin/env python3
"""Drives real Python resilience libraries (Debian's python3-circuitbreaker,
python3-tenacity, python3-backoff) with randomized timings and outcomes,
reported through adapters/python/faultline_events.py's hooks, and writes what
they did as a faultline history.

    record.py LIBRARY --seed N --out FILE [--duration SECONDS]

LIBRARY: circuitbreaker | tenacity | tenacity-random | backoff. The seed fixes
the workload (outcomes, call durations, boundary offsets); the libraries'
timing is real. The settings each library runs with are the ones the fixture
manifest (tests/checkers/recorded/manifest.json) declares for it.
"""
import argparse
import os
import random
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "adapters", "python"))
import faultline_events as fe  # noqa: E402


class Workload:
    def __init__(self, seed, duration):
        self.rng = random.Random(seed)
        self.lock = threading.Lock()
        self.start = time.monotonic()
        self.deadline = self.start + duration

    def draw(self):
        with self.lock:
            return self.rng.random()

    def running(self):
        return time.monotonic() < self.deadline

    def fail_probability(self):
        # phases of 0.4s: mostly failing, mixed, mostly succeeding
        phase = int((time.monotonic() - self.start) / 0.4) % 3
        return (0.85, 0.45, 0.1)[phase]

    def threads(self, n, target):
        ts = [threading.Thread(target=target) for _ in range(n)]
        for t in ts:
            t.start()
        return ts


def record_circuitbreaker(emitter, w):
    import circuitbreaker
    timeout = 0.15
    cb = circuitbreaker.CircuitBreaker(failure_threshold=3, recovery_timeout=timeout, expected_exception=IOError,
                                       name="circuitbreaker")
    hook = fe.CircuitBreakerHook(emitter, cb, "circuitbreaker")

    def one_call():
        fail = w.draw() < w.fail_probability()
        work = w.draw() * 0.012

        def fn():
            time.sleep(work)
            if fail:
                raise IOError("call failed")
        try:
            hook.call(fn)
        except (IOError, circuitbreaker.CircuitBreakerError):
            pass

    def worker():
        while w.running():
            one_call()
            time.sleep(w.draw() * 0.015)

    def prober():
        # Calls aimed at the recovery-timeout boundary, then a burst of
        # concurrent calls in half-open.
        offsets = (-0.003, -0.001, -0.0002, 0.0, 0.0002, 0.001)
        last = None
        while w.running():
            opened = cb._opened if cb._state == circuitbreaker.STATE_OPEN else None
            if opened is None or opened == last:
                time.sleep(0.001)
                continue
            last = opened
            at = opened + timeout + offsets[int(w.draw() * len(offsets))]
            time.sleep(max(0.0, at - time.monotonic()))
            one_call()
            for t in w.threads(4, one_call):
                t.join()

    for t in w.threads(4, worker) + w.threads(1, prober):
        t.join()


def retry_outcome(w, fail_p):
    """raises IOError (retryable), ValueError (not retryable) or returns."""
    time.sleep(w.draw() * 0.005)
    r = w.draw()
    if r < 0.03:
        raise ValueError("permanent")
    if r < fail_p:
        raise IOError("transient")


def record_tenacity(emitter, w, random_exponential):
    import tenacity
    hooks = fe.TenacityHooks(emitter)
    if random_exponential:
        wait = tenacity.wait_random_exponential(multiplier=0.01, min=0.002, max=0.12)
    else:
        wait = tenacity.wait_exponential(multiplier=0.01, min=0.005, max=0.1)

    def worker():
        while w.running():
            fail_p = 0.5 + 0.45 * w.draw()
            r = tenacity.Retrying(wait=wait, stop=tenacity.stop_after_attempt(6),
                                  retry=hooks.retry(tenacity.retry_if_exception_type(IOError)),
                                  before_sleep=hooks.before_sleep)
            try:
                r(retry_outcome, w, fail_p)
            except (tenacity.RetryError, ValueError):
                pass

    for t in w.threads(4, worker):
        t.join()


def record_backoff(emitter, w):
    import backoff
    handlers = fe.backoff_handlers(emitter)

    @backoff.on_exception(backoff.expo, IOError, factor=0.01, max_value=0.1, max_tries=6, max_time=0.5,
                          jitter=backoff.full_jitter, **handlers)
    def op(fail_p):
        retry_outcome(w, fail_p)

    def worker():
        while w.running():
            try:
                op(0.5 + 0.45 * w.draw())
            except (IOError, ValueError):
                pass

    for t in w.threads(4, worker):
        t.join()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("library", choices=["circuitbreaker", "tenacity", "tenacity-random", "backoff"])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", required=True)
    parser.add_argument("--duration", type=float, default=3.0)
    args = parser.parse_args()
    emitter = fe.Emitter(node="n1", history=args.out, nodes=["n1"])
    w = Workload(args.seed, args.duration)
    if args.library == "circuitbreaker":
        record_circuitbreaker(emitter, w)
    elif args.library == "backoff":
        record_backoff(emitter, w)
    else:
        record_tenacity(emitter, w, args.library == "tenacity-random")
    emitter.close()


if __name__ == "__main__":
    main()
