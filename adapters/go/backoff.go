package faultline

import (
	"errors"
	"time"

	"github.com/cenkalti/backoff/v4"
)

// Retry runs op under cenkalti/backoff/v4's RetryNotify with policy b and
// reports each attempt when it ends: its number (from 0), the delay Notify
// announced before it (0 for the first) and its outcome ("success",
// "failure", or "non-retryable" for a backoff.Permanent error). All attempts
// share one op id (NewOpID). Returns what RetryNotify returns.
func (e *Emitter) Retry(op func() error, b backoff.BackOff) error {
	id := NewOpID()
	attempt := int64(0)
	var delay time.Duration
	wrapped := func() error {
		err := op()
		outcome := "success"
		var permanent *backoff.PermanentError
		switch {
		case err == nil:
		case errors.As(err, &permanent):
			outcome = "non-retryable"
		default:
			outcome = "failure"
		}
		e.Emit(map[string]any{"type": "retry", "op": id, "attempt": attempt, "delay": int64(delay), "outcome": outcome})
		attempt++
		return err
	}
	return backoff.RetryNotify(wrapped, b, func(_ error, next time.Duration) { delay = next })
}
