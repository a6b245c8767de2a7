"""faultline_events: report breaker, retry and detector events to faultline.

A single dependency-free module (Python 3.8+, standard library only). Copy it
into your service or put this folder on PYTHONPATH.

Contract (docs/events.md is the full event contract):
  * Emitter() sends one JSON object per datagram to the unix datagram socket
    named by the environment variable FAULTLINE_EVENTS (the faultline agent
    sets it for the service it starts); the agent stamps each event with the
    moment it was sent. With no FAULTLINE_EVENTS the events go to stderr as
    JSON lines, never silently nowhere. Emitter(history=PATH) instead writes a
    complete faultline history file itself (a `cluster` line, then each event
    stamped with "time" in ns since the emitter started, CLOCK_MONOTONIC),
    for recording a library outside a faultline run.
  * Every event gets "node" (the emitter's node: FAULTLINE_NODE, else the
    host name) unless it names one.
  * After SIGTERM the emitter reports nothing more (the process is being
    stopped; what it does while shutting down is not the behaviour under
    test). The previous SIGTERM handler still runs.
  * emit() never raises: a datagram the agent cannot take within 1 s is
    dropped and counted in `dropped`.
  * Hooks for libraries: CircuitBreakerHook (python circuitbreaker, or any
    breaker with the same enter/exit shape), TenacityHooks (tenacity's retry
    predicate and before_sleep), backoff_handlers (python backoff's
    on_backoff/on_success/on_giveup). Each logs an attempt or a result when it
    ends, and serializes the library's decision with its event so the events
    are in the order the library saw them.
"""

import json
import os
import random
import signal
import socket
import sys
import threading
import time

__all__ = ["Emitter", "CircuitBreakerHook", "TenacityHooks", "backoff_handlers", "new_op_id"]

_NS = 1_000_000_000

# Op ids: a random prefix per process (so a restarted process never reuses an
# id of the one before it) and a counter; below 2^53 so every JSON reader
# keeps them exact.
_op_lock = threading.Lock()
_op_prefix = random.SystemRandom().randrange(1, 1 << 20) << 32
_op_next = 0


def new_op_id():
    """A retry operation id unique across this node's restarts."""
    global _op_next
    with _op_lock:
        _op_next += 1
        return _op_prefix + _op_next


class Emitter:
    """Where events go. Thread-safe."""

    def __init__(self, node=None, path=None, history=None, nodes=None, stop_on_sigterm=True):
        self.node = node or os.environ.get("FAULTLINE_NODE") or socket.gethostname()
        self.dropped = 0
        self._lock = threading.RLock()
        self._stopped = False
        self._sock = None
        self._file = None
        self._start = time.monotonic_ns()
        if history is not None:
            self._file = open(history, "w", encoding="utf-8")
            self._write_line({"time": 0, "type": "cluster", "nodes": list(nodes or [self.node])})
        else:
            self._path = path if path is not None else os.environ.get("FAULTLINE_EVENTS", "")
            if self._path:
                self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
                self._sock.settimeout(1.0)
        if stop_on_sigterm and threading.current_thread() is threading.main_thread():
            self._chain_sigterm()

    # -- the events of docs/events.md -------------------------------------
    def breaker_call(self, name, call, permitted):
        self.emit({"type": "breaker", "name": name, "event": "call", "call": call, "permitted": bool(permitted)})

    def breaker_result(self, name, call, success):
        self.emit({"type": "breaker", "name": name, "event": "result", "call": call,
                   "outcome": "success" if success else "failure"})

    def breaker_transition(self, name, from_state, to_state):
        self.emit({"type": "breaker", "name": name, "event": "transition", "from": from_state, "to": to_state})

    def retry_attempt(self, op, attempt, delay_ns, outcome):
        self.emit({"type": "retry", "op": op, "attempt": attempt, "delay": int(delay_ns), "outcome": outcome})

    def detector(self, subject, status, incarnation=None):
        event = {"type": "detector", "subject": subject, "status": status}
        if incarnation is not None:
            event["incarnation"] = incarnation
        self.emit(event)

    def log(self, message):
        self.emit({"type": "log", "message": message})

    # -- plumbing ------------------------------------------------------------
    @property
    def stopped(self):
        return self._stopped

    def stop(self):
        """Report nothing more."""
        self._stopped = True

    def emit(self, event):
        if self._stopped:
            return
        event = dict(event)
        event.setdefault("node", self.node)
        with self._lock:
            if self._stopped:
                return
            if self._file is not None:
                event["time"] = time.monotonic_ns() - self._start
                self._write_line(event)
            elif self._sock is not None:
                data = json.dumps(event, separators=(",", ":")).encode()
                try:
                    self._sock.sendto(data, self._path)
                except OSError:
                    self.dropped += 1
            else:
                sys.stderr.write(json.dumps(event, separators=(",", ":")) + "\n")

    def _write_line(self, event):
        head = {"time": event.pop("time"), "type": event.pop("type")}
        head.update(event)
        self._file.write(json.dumps(head, separators=(",", ":")) + "\n")

    def close(self):
        with self._lock:
            if self._file is not None:
                self._file.close()
                self._file = None
            if self._sock is not None:
                self._sock.close()
                self._sock = None
            self._stopped = True

    def _chain_sigterm(self):
        previous = signal.getsignal(signal.SIGTERM)

        def on_sigterm(signum, frame):
            self._stopped = True
            if callable(previous):
                previous(signum, frame)
            elif previous == signal.SIG_DFL:
                signal.signal(signal.SIGTERM, signal.SIG_DFL)
                os.kill(os.getpid(), signal.SIGTERM)

        signal.signal(signal.SIGTERM, on_sigterm)


class CircuitBreakerHook:
    """Reports a python `circuitbreaker.CircuitBreaker` (or any breaker with
    its shape: `opened` is true while it rejects calls, __enter__/__exit__
    bracket a call and record its outcome, `state` is "closed", "open" or
    "half_open"/"half-open", and is_failure(type, exc) tells a counted failure).

    hook.call(fn, *args) runs fn through the breaker. The decision and the
    result are each taken and logged under one lock, so the history has them in
    the order the breaker saw them; the state is read before and after each, so
    a transition is logged when the breaker shows it (circuitbreaker turns
    half-open by time alone, which the hook sees at the next call or result).
    """

    def __init__(self, emitter, breaker, name=None):
        self.emitter = emitter
        self.breaker = breaker
        self.name = name or getattr(breaker, "name", None) or "breaker"
        self._lock = threading.Lock()
        self._next = 0
        self._reported = self._state()

    def _state(self):
        state = str(self.breaker.state).lower().replace("-", "_")
        return state if state in ("closed", "open", "half_open") else "closed"

    def _sync(self):
        now = self._state()
        if now != self._reported:
            self.emitter.breaker_transition(self.name, self._reported, now)
            self._reported = now

    def call(self, fn, *args, **kwargs):
        with self._lock:
            self._next += 1
            call = self._next
            self._sync()
            if self.breaker.opened:
                self.emitter.breaker_call(self.name, call, False)
                error = getattr(sys.modules.get("circuitbreaker"), "CircuitBreakerError", None)
                raise error(self.breaker) if error else RuntimeError("circuit breaker %s is open" % self.name)
            self.breaker.__enter__()
            self.emitter.breaker_call(self.name, call, True)
        try:
            result = fn(*args, **kwargs)
        except BaseException as e:
            self._finish(call, type(e), e, e.__traceback__)
            raise
        self._finish(call, None, None, None)
        return result

    def _finish(self, call, exc_type, exc, tb):
        with self._lock:
            self._sync()
            try:
                self.breaker.__exit__(exc_type, exc, tb)
            finally:
                counted_as_failure = exc_type is not None and self._is_failure(exc_type, exc)
                self.emitter.breaker_result(self.name, call, not counted_as_failure)
                self._sync()

    def _is_failure(self, exc_type, exc):
        predicate = getattr(self.breaker, "is_failure", None)
        if callable(predicate):
            return bool(predicate(exc_type, exc))
        return True

    def __call__(self, fn):
        def wrapper(*args, **kwargs):
            return self.call(fn, *args, **kwargs)
        wrapper.__name__ = getattr(fn, "__name__", "wrapper")
        return wrapper


class TenacityHooks:
    """Reports tenacity retries: pass `retry=hooks.retry(your_predicate)` and
    `before_sleep=hooks.before_sleep` to tenacity.retry/Retrying.

    Each attempt is logged when tenacity judges its outcome (so after it
    ended), as attempt_number - 1 with the delay tenacity slept before it:
    outcome "success", "failure" (to be retried, or stopped) or
    "non-retryable" (the predicate declined the exception). Every call of the
    retried function gets a new op id (new_op_id()).
    """

    def __init__(self, emitter):
        self.emitter = emitter
        self._ops = {}
        self._lock = threading.Lock()

    def _op(self, retry_state, judging=False):
        key = id(retry_state)
        with self._lock:
            op = self._ops.get(key)
            # A new call of the retried function: its first attempt is judged.
            if op is None or (judging and retry_state.attempt_number == 1):
                op = [new_op_id(), 0]
                self._ops[key] = op
            return op

    def retry(self, predicate):
        def wrapped(retry_state):
            decision = predicate(retry_state)
            failed = retry_state.outcome is not None and retry_state.outcome.failed
            outcome = "success" if not failed else ("failure" if decision else "non-retryable")
            if not failed and decision:
                outcome = "failure"  # retried on its result
            op = self._op(retry_state, judging=True)
            self.emitter.retry_attempt(op[0], retry_state.attempt_number - 1, op[1], outcome)
            if outcome != "failure":
                with self._lock:
                    self._ops.pop(id(retry_state), None)
            return decision
        return wrapped

    def before_sleep(self, retry_state):
        op = self._op(retry_state)
        op[1] = int(retry_state.next_action.sleep * _NS)


def backoff_handlers(emitter):
    """Handlers for python backoff: `backoff.on_exception(wait_gen, exc,
    **backoff_handlers(emitter))`. Each attempt is logged when it ends, as
    tries - 1 with the delay slept before it; the op id is per call of the
    decorated function (per thread)."""
    local = threading.local()

    def current(details, fresh):
        if fresh or not hasattr(local, "op"):
            local.op, local.delay = new_op_id(), 0
        return local.op

    def on_backoff(details):
        op = current(details, details["tries"] == 1)
        emitter.retry_attempt(op, details["tries"] - 1, local.delay, "failure")
        local.delay = int(details["wait"] * _NS)

    def on_success(details):
        op = current(details, details["tries"] == 1)
        emitter.retry_attempt(op, details["tries"] - 1, local.delay, "success")

    def on_giveup(details):
        op = current(details, details["tries"] == 1)
        emitter.retry_attempt(op, details["tries"] - 1, local.delay, "failure")

    return {"on_backoff": on_backoff, "on_success": on_success, "on_giveup": on_giveup}
