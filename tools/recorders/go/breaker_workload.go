package main

import (
	"math/rand"
	"sync"
	"time"
)

// A breaker under test, as the workload drives it. allow asks for one call at
// the moment it is made and returns a done function to record its result (nil
// when rejected). Both run under the history's lock and log their own events.
type breakerDriver interface {
	allow(call int64) (done func(success bool))
	recoveryTimeout() time.Duration
	openedAt() (time.Time, bool) // when it last opened, if it is open
}

// runBreakerWorkload drives the breaker with `workers` concurrent callers for
// `duration`: random call durations and outcomes whose failure probability
// moves through phases (so the breaker trips, probes and recovers many times),
// plus calls aimed at the recovery-timeout boundary (just before, at and just
// after it) and bursts of concurrent calls right after it, in half-open.
func runBreakerWorkload(h *History, b breakerDriver, seed int64, duration time.Duration, workers int) {
	var mu sync.Mutex // guards rng and the call counter
	rng := rand.New(rand.NewSource(seed))
	var next int64
	newCall := func() (int64, time.Duration, bool) {
		mu.Lock()
		defer mu.Unlock()
		next++
		// phases of 400ms: mostly failing, mixed, mostly succeeding
		phase := (time.Since(h.start) / (400 * time.Millisecond)) % 3
		failP := []float64{0.85, 0.45, 0.1}[phase]
		work := time.Duration(rng.Int63n(int64(12 * time.Millisecond)))
		return next, work, rng.Float64() >= failP
	}
	jitter := func(max time.Duration) time.Duration {
		mu.Lock()
		defer mu.Unlock()
		return time.Duration(rng.Int63n(int64(max)))
	}
	call := func() {
		id, work, success := newCall()
		h.Lock()
		done := b.allow(id)
		h.Unlock()
		if done == nil {
			return
		}
		time.Sleep(work)
		h.Lock()
		done(success)
		h.Unlock()
	}
	deadline := time.Now().Add(duration)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(deadline) {
				call()
				time.Sleep(jitter(15 * time.Millisecond))
			}
		}()
	}
	// The boundary prober: whenever the breaker is open, aim calls at its
	// recovery-timeout boundary, then a burst of concurrent calls in half-open.
	wg.Add(1)
	go func() {
		defer wg.Done()
		offsets := []time.Duration{-3 * time.Millisecond, -1 * time.Millisecond, -200 * time.Microsecond, 0,
			200 * time.Microsecond, 1 * time.Millisecond}
		var last time.Time
		for time.Now().Before(deadline) {
			h.Lock()
			opened, open := b.openedAt()
			h.Unlock()
			if !open || opened.Equal(last) {
				time.Sleep(time.Millisecond)
				continue
			}
			last = opened
			boundary := opened.Add(b.recoveryTimeout())
			off := offsets[int(jitter(time.Duration(len(offsets))))]
			time.Sleep(time.Until(boundary.Add(off)))
			call()
			var burst sync.WaitGroup
			for i := 0; i < 4; i++ {
				burst.Add(1)
				go func() { defer burst.Done(); call() }()
			}
			burst.Wait()
		}
	}()
	wg.Wait()
}
