package main

import (
	"math/rand"
	"time"

	"github.com/failsafe-go/failsafe-go/circuitbreaker"
)

// failsafeDriver drives a real failsafe-go circuit breaker: TryAcquirePermit
// for the decision, RecordSuccess/RecordFailure for the result,
// OnStateChanged for transitions.
type failsafeDriver struct {
	h       *History
	cb      circuitbreaker.CircuitBreaker[any]
	timeout time.Duration
	rng     *rand.Rand
	opened  time.Time
	open    bool
}

func failsafeState(s circuitbreaker.State) string {
	return historyState(s == circuitbreaker.ClosedState, s == circuitbreaker.OpenState)
}

func (d *failsafeDriver) recoveryTimeout() time.Duration { return d.timeout }
func (d *failsafeDriver) openedAt() (time.Time, bool)    { return d.opened, d.open }

func (d *failsafeDriver) allow(call int64) func(bool) {
	permitted := d.cb.TryAcquirePermit()
	d.h.Emit(map[string]any{"type": "breaker", "node": "n1", "name": "failsafe", "event": "call", "call": call,
		"permitted": permitted})
	if !permitted {
		return nil
	}
	return func(success bool) {
		outcome := map[bool]string{true: "success", false: "failure"}[success]
		result := map[string]any{"type": "breaker", "node": "n1", "name": "failsafe", "event": "result", "call": call,
			"outcome": outcome}
		record := d.cb.RecordFailure
		if success {
			record = d.cb.RecordSuccess
		}
		if d.rng.Intn(2) == 0 {
			d.h.Emit(result)
			record()
		} else {
			record()
			d.h.Emit(result)
		}
	}
}

// recordFailsafe: 3 failures in the last 5 executions open it, Delay 150ms,
// 2 successes of 3 trials (3 permits) close it.
func recordFailsafe(path string, seed int64, duration time.Duration) error {
	h, err := NewHistory(path, []string{"n1"})
	if err != nil {
		return err
	}
	d := &failsafeDriver{h: h, timeout: 150 * time.Millisecond, rng: rand.New(rand.NewSource(seed ^ 0xfa11))}
	d.cb = circuitbreaker.NewBuilder[any]().
		WithFailureThresholdRatio(3, 5).
		WithDelay(d.timeout).
		WithSuccessThresholdRatio(2, 3).
		OnStateChanged(func(e circuitbreaker.StateChangedEvent) {
			// Called inside TryAcquirePermit/Record* with the history's lock held.
			if e.NewState == circuitbreaker.OpenState {
				d.opened, d.open = time.Now(), true
			} else {
				d.open = false
			}
			h.Emit(map[string]any{"type": "breaker", "node": "n1", "name": "failsafe", "event": "transition",
				"from": failsafeState(e.OldState), "to": failsafeState(e.NewState)})
		}).
		Build()
	runBreakerWorkload(h, d, seed, duration, 4)
	return h.Close()
}
