// Package faultline reports a Go service's detector, breaker and retry events
// to faultline (docs/events.md), with hooks for sony/gobreaker/v2,
// cenkalti/backoff/v4 and hashicorp/memberlist.
//
// Contract:
//   - An Emitter sends one JSON object per datagram to the unix datagram
//     socket named by FAULTLINE_EVENTS (the faultline agent stamps each with
//     the moment it was sent). Without FAULTLINE_EVENTS events go to stderr
//     as JSON lines. A datagram the socket does not take within 1s is
//     dropped and counted (Dropped).
//   - Every event gets "node" (FAULTLINE_NODE, else the host name, unless
//     given); no event carries "time".
//   - After SIGTERM (StopOnSigterm) or Stop the emitter reports nothing more.
//   - Emit is safe for concurrent use; the hooks take the library's decision
//     and report it under one lock per breaker / per retry operation, so
//     events reach the agent in the order the library saw things.
package faultline

import (
	"crypto/rand"
	"encoding/binary"
	"encoding/json"
	"os"
	"os/signal"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// Emitter is where events go.
type Emitter struct {
	node    string
	mu      sync.Mutex
	fd      int // unbound unix datagram socket, or -1 for stderr
	to      syscall.SockaddrUnix
	stopped atomic.Bool
	dropped atomic.Int64
}

// NewEmitter opens the event socket (path; "" means $FAULTLINE_EVENTS) for
// node ("" means $FAULTLINE_NODE, else the host name).
func NewEmitter(node, path string) (*Emitter, error) {
	if node == "" {
		node = os.Getenv("FAULTLINE_NODE")
	}
	if node == "" {
		node, _ = os.Hostname()
	}
	if path == "" {
		path = os.Getenv("FAULTLINE_EVENTS")
	}
	e := &Emitter{node: node, fd: -1}
	if path != "" {
		// Unconnected: each datagram is addressed, so a socket the agent
		// recreates is found again.
		fd, err := syscall.Socket(syscall.AF_UNIX, syscall.SOCK_DGRAM|syscall.SOCK_CLOEXEC, 0)
		if err != nil {
			return nil, err
		}
		tv := syscall.NsecToTimeval(int64(time.Second))
		if err := syscall.SetsockoptTimeval(fd, syscall.SOL_SOCKET, syscall.SO_SNDTIMEO, &tv); err != nil {
			syscall.Close(fd)
			return nil, err
		}
		e.fd, e.to = fd, syscall.SockaddrUnix{Name: path}
	}
	return e, nil
}

// Node is the node every event names.
func (e *Emitter) Node() string { return e.node }

// Dropped counts the events the socket did not take.
func (e *Emitter) Dropped() int64 { return e.dropped.Load() }

// Stop: report nothing more.
func (e *Emitter) Stop() { e.stopped.Store(true) }

// Stopped tells whether Stop (or SIGTERM) happened.
func (e *Emitter) Stopped() bool { return e.stopped.Load() }

// StopOnSigterm stops the emitter at SIGTERM and then calls then (which
// should end the process; nil exits with status 143).
func (e *Emitter) StopOnSigterm(then func()) {
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, syscall.SIGTERM)
	go func() {
		<-ch
		e.Stop()
		if then != nil {
			then()
			return
		}
		os.Exit(143)
	}()
}

// Emit sends one event; "node" is filled in when absent.
func (e *Emitter) Emit(event map[string]any) {
	if e.stopped.Load() {
		return
	}
	if _, ok := event["node"]; !ok {
		event["node"] = e.node
	}
	delete(event, "time")
	data, err := json.Marshal(event)
	if err != nil {
		e.dropped.Add(1)
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.stopped.Load() {
		return
	}
	if e.fd < 0 {
		os.Stderr.Write(append(data, '\n'))
		return
	}
	for err = syscall.EINTR; err == syscall.EINTR; {
		err = syscall.Sendto(e.fd, data, 0, &e.to)
	}
	if err != nil {
		e.dropped.Add(1)
	}
}

// Detector reports the observer's opinion of subject: "alive", "suspect" or
// "dead". incarnation < 0 leaves it out.
func (e *Emitter) Detector(subject, status string, incarnation int64) {
	ev := map[string]any{"type": "detector", "subject": subject, "status": status}
	if incarnation >= 0 {
		ev["incarnation"] = incarnation
	}
	e.Emit(ev)
}

// Log sends a free-form log event (checkers ignore it).
func (e *Emitter) Log(message string) { e.Emit(map[string]any{"type": "log", "message": message}) }

var (
	opPrefix int64
	opNext   atomic.Int64
)

func init() {
	var b [4]byte
	_, _ = rand.Read(b[:])
	opPrefix = int64(binary.LittleEndian.Uint32(b[:])%(1<<20)+1) << 32
}

// NewOpID is a retry operation id unique across this node's restarts: a
// random per-process prefix and a counter, below 2^53.
func NewOpID() int64 { return opPrefix + opNext.Add(1) }
