package main

import (
	"fmt"
	"io"
	"math/rand"
	"net"
	"net/http"
	"time"

	faultline "faultline/adapters/go"

	"github.com/cenkalti/backoff/v4"
	"github.com/sony/gobreaker/v2"
)

// The service's resilience settings; the suite's breaker and retry sections
// declare exactly these (profile gobreaker / cenkalti-backoff).
const (
	breakerFailures = 3               // ReadyToTrip: 3 consecutive failures
	breakerTimeout  = 2 * time.Second // Timeout: open -> half-open
	breakerTrials   = 1               // MaxRequests in half-open

	retryInitial    = 100 * time.Millisecond
	retryMultiplier = 2.0
	retryMax        = time.Second
	retryElapsed    = 4 * time.Second
)

// service calls every peer through that peer's breaker (a heartbeat-like
// /ping every --call-every) and starts a replication operation every
// --retry-every: a /replicate call to a random peer, through its breaker,
// retried with exponential backoff.
type service struct {
	o        options
	events   *faultline.Emitter
	client   *http.Client
	breakers []*faultline.Breaker
}

func newService(o options, events *faultline.Emitter) *service {
	// No keep-alive: every call opens a connection, so a partition or a
	// killed peer fails the next call instead of hanging on an old socket.
	transport := &http.Transport{DisableKeepAlives: true,
		DialContext: (&net.Dialer{Timeout: o.callTimeout}).DialContext}
	s := &service{o: o, events: events, client: &http.Client{Timeout: o.callTimeout, Transport: transport}}
	for _, p := range o.peers {
		s.breakers = append(s.breakers, faultline.NewBreaker(events, gobreaker.Settings{
			Name:        "peer-" + p,
			MaxRequests: breakerTrials,
			Timeout:     breakerTimeout,
			ReadyToTrip: func(c gobreaker.Counts) bool { return c.ConsecutiveFailures >= breakerFailures },
		}))
	}
	return s
}

func (s *service) call(peer int, path string) error {
	resp, err := s.client.Get("http://" + s.o.peerHTTP[peer] + path)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s%s: %s", s.o.peers[peer], path, resp.Status)
	}
	return nil
}

func (s *service) start(stop <-chan struct{}) {
	for i := range s.o.peers {
		go func(i int) {
			for {
				_ = s.breakers[i].Call(func() error { return s.call(i, "/ping") })
				select {
				case <-stop:
					return
				case <-time.After(s.o.callEvery):
				}
			}
		}(i)
	}
	go func() {
		tick := time.NewTicker(s.o.retryEvery)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
				go s.replicate(rand.Intn(len(s.o.peers)))
			}
		}
	}()
}

// replicate is one logical operation: attempts until a success, or until
// cenkalti's MaxElapsedTime stops it. A call the breaker rejects is a failed
// attempt like any other.
func (s *service) replicate(peer int) {
	b := backoff.NewExponentialBackOff(
		backoff.WithInitialInterval(retryInitial),
		backoff.WithMultiplier(retryMultiplier),
		backoff.WithMaxInterval(retryMax),
		backoff.WithMaxElapsedTime(retryElapsed))
	_ = s.events.Retry(func() error {
		return s.breakers[peer].Call(func() error { return s.call(peer, "/replicate") })
	}, b)
}
