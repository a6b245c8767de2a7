package main

import (
	"errors"
	"math/rand"
	"sync"
	"time"

	"github.com/cenkalti/backoff/v4"
)

// recordCenkalti drives real cenkalti/backoff v4 RetryNotify loops: each
// operation's attempt is logged when it ends (so the time between two logged
// attempts is at least the backoff slept between them), with the delay that
// Notify announced before it; op ids are unique in the history.
// ExponentialBackOff: InitialInterval 20ms, RandomizationFactor 0.5 (default),
// Multiplier 1.5 (default), MaxInterval 150ms, MaxElapsedTime 1s.
func recordCenkalti(path string, seed int64, duration time.Duration) error {
	h, err := NewHistory(path, []string{"n1"})
	if err != nil {
		return err
	}
	var mu sync.Mutex
	rng := rand.New(rand.NewSource(seed))
	draw := func() float64 { mu.Lock(); defer mu.Unlock(); return rng.Float64() }
	var nextOp int64
	deadline := time.Now().Add(duration)
	var wg sync.WaitGroup
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(deadline) {
				mu.Lock()
				nextOp++
				op := nextOp
				mu.Unlock()
				attempt := int64(0)
				var delay time.Duration
				failP := 0.5 + 0.45*draw() // some ops fail until MaxElapsedTime stops them
				operation := func() error {
					time.Sleep(time.Duration(draw() * float64(5*time.Millisecond)))
					r := draw()
					outcome, err := "success", error(nil)
					switch {
					case r < 0.03:
						outcome, err = "non-retryable", backoff.Permanent(errors.New("permanent"))
					case r < failP:
						outcome, err = "failure", errors.New("transient")
					}
					h.Lock()
					h.Emit(map[string]any{"type": "retry", "node": "n1", "op": op, "attempt": attempt,
						"delay": int64(delay), "outcome": outcome})
					h.Unlock()
					attempt++
					return err
				}
				b := backoff.NewExponentialBackOff(backoff.WithInitialInterval(20*time.Millisecond),
					backoff.WithMaxInterval(150*time.Millisecond), backoff.WithMaxElapsedTime(time.Second))
				_ = backoff.RetryNotify(operation, b, func(_ error, next time.Duration) { delay = next })
			}
		}()
	}
	wg.Wait()
	return h.Close()
}
