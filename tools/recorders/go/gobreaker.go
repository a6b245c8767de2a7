package main

import (
	"errors"
	"math/rand"
	"time"

	"github.com/sony/gobreaker/v2"
)

var errCall = errors.New("call failed")

func stateName(s gobreaker.State) string {
	return historyState(s == gobreaker.StateClosed, s == gobreaker.StateOpen)
}

// gobreakerDriver drives a real gobreaker v2 TwoStepCircuitBreaker: Allow()
// for the decision, done(err) for the result, OnStateChange for transitions.
type gobreakerDriver struct {
	h       *History
	cb      *gobreaker.TwoStepCircuitBreaker[struct{}]
	timeout time.Duration
	rng     *rand.Rand
	opened  time.Time
	open    bool
}

func newGobreakerDriver(h *History, seed int64, s gobreaker.Settings) *gobreakerDriver {
	d := &gobreakerDriver{h: h, timeout: s.Timeout, rng: rand.New(rand.NewSource(seed ^ 0x5eed))}
	s.OnStateChange = func(name string, from, to gobreaker.State) {
		// Called inside Allow()/done() with the history's lock held.
		if to == gobreaker.StateOpen {
			d.opened, d.open = time.Now(), true
		} else {
			d.open = false
		}
		h.Emit(map[string]any{"type": "breaker", "node": "n1", "name": name, "event": "transition",
			"from": stateName(from), "to": stateName(to)})
	}
	d.cb = gobreaker.NewTwoStepCircuitBreaker[struct{}](s)
	return d
}

func (d *gobreakerDriver) recoveryTimeout() time.Duration { return d.timeout }
func (d *gobreakerDriver) openedAt() (time.Time, bool)    { return d.opened, d.open }

func (d *gobreakerDriver) allow(call int64) func(bool) {
	name := d.cb.Name()
	done, err := d.cb.Allow()
	d.h.Emit(map[string]any{"type": "breaker", "node": "n1", "name": name, "event": "call", "call": call,
		"permitted": err == nil})
	if err != nil {
		return nil
	}
	return func(success bool) {
		outcome := map[bool]string{true: "success", false: "failure"}[success]
		result := map[string]any{"type": "breaker", "node": "n1", "name": name, "event": "result", "call": call,
			"outcome": outcome}
		var callErr error
		if !success {
			callErr = errCall
		}
		// The result is logged before or after the library records it (and so
		// before or after the transition it causes): both are allowed.
		if d.rng.Intn(2) == 0 {
			d.h.Emit(result)
			done(callErr)
		} else {
			done(callErr)
			d.h.Emit(result)
		}
	}
}

// recordGobreaker: ReadyToTrip after 3 consecutive failures, Timeout 150ms,
// MaxRequests 3, Interval 0 (the default).
func recordGobreaker(path string, seed int64, duration time.Duration) error {
	h, err := NewHistory(path, []string{"n1"})
	if err != nil {
		return err
	}
	d := newGobreakerDriver(h, seed, gobreaker.Settings{
		Name:        "gobreaker",
		MaxRequests: 3,
		Timeout:     150 * time.Millisecond,
		ReadyToTrip: func(c gobreaker.Counts) bool { return c.ConsecutiveFailures >= 3 },
	})
	runBreakerWorkload(h, d, seed, duration, 4)
	return h.Close()
}
