package faultline

import (
	"errors"
	"sync"

	"github.com/sony/gobreaker/v2"
)

// Breaker is a sony/gobreaker/v2 TwoStepCircuitBreaker that reports every
// call (permitted or rejected), every result and every transition. The
// decision (Allow) and its call event, and the result (done) and its result
// event, happen under one lock, so the reports are in the breaker's order;
// OnStateChange fires inside Allow/done and reports the transition there
// (before the call or result that caused it, as docs/events.md allows).
type Breaker struct {
	e    *Emitter
	name string
	mu   sync.Mutex
	cb   *gobreaker.TwoStepCircuitBreaker[struct{}]
	next int64
}

// ErrRejected is returned by Call when the breaker rejects the call.
var ErrRejected = errors.New("circuit breaker rejected the call")

func stateName(s gobreaker.State) string {
	switch s {
	case gobreaker.StateClosed:
		return "closed"
	case gobreaker.StateOpen:
		return "open"
	default:
		return "half_open"
	}
}

// NewBreaker builds the breaker from s (s.Name is the breaker's name in the
// history; an OnStateChange in s still runs, after the report).
func NewBreaker(e *Emitter, s gobreaker.Settings) *Breaker {
	b := &Breaker{e: e, name: s.Name}
	user := s.OnStateChange
	s.OnStateChange = func(name string, from, to gobreaker.State) {
		e.Emit(map[string]any{"type": "breaker", "name": b.name, "event": "transition",
			"from": stateName(from), "to": stateName(to)})
		if user != nil {
			user(name, from, to)
		}
	}
	b.cb = gobreaker.NewTwoStepCircuitBreaker[struct{}](s)
	return b
}

// Name is the breaker's name.
func (b *Breaker) Name() string { return b.name }

// Call runs fn if the breaker permits it and tells the breaker its outcome
// (an error is a failure). A rejected call returns ErrRejected.
func (b *Breaker) Call(fn func() error) error {
	b.mu.Lock()
	b.next++
	call := b.next
	done, err := b.cb.Allow()
	b.e.Emit(map[string]any{"type": "breaker", "name": b.name, "event": "call", "call": call, "permitted": err == nil})
	b.mu.Unlock()
	if err != nil {
		return ErrRejected
	}
	callErr := fn()
	b.mu.Lock()
	outcome := "success"
	if callErr != nil {
		outcome = "failure"
	}
	done(callErr)
	b.e.Emit(map[string]any{"type": "breaker", "name": b.name, "event": "result", "call": call, "outcome": outcome})
	b.mu.Unlock()
	return callErr
}
