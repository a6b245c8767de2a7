package faultline

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"path/filepath"
	"testing"
	"time"

	"github.com/cenkalti/backoff/v4"
	"github.com/hashicorp/memberlist"
	"github.com/sony/gobreaker/v2"
)

// agent is a real unix datagram socket standing where the agent's is.
type agent struct {
	t    *testing.T
	conn *net.UnixConn
	path string
}

func newAgent(t *testing.T) *agent {
	path := filepath.Join(t.TempDir(), "events.sock")
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return &agent{t: t, conn: conn, path: path}
}

// next reads one datagram as an event, or nil after wait.
func (a *agent) next(wait time.Duration) map[string]any {
	buf := make([]byte, 65536)
	_ = a.conn.SetReadDeadline(time.Now().Add(wait))
	n, err := a.conn.Read(buf)
	if err != nil {
		return nil
	}
	var ev map[string]any
	if err := json.Unmarshal(buf[:n], &ev); err != nil {
		a.t.Fatalf("not JSON: %q", buf[:n])
	}
	return ev
}

func (a *agent) all(wait time.Duration) []map[string]any {
	var out []map[string]any
	for ev := a.next(wait); ev != nil; ev = a.next(wait) {
		out = append(out, ev)
	}
	return out
}

func TestEmitterSendsOneEventPerDatagramWithNodeAndNoTime(t *testing.T) {
	a := newAgent(t)
	e, err := NewEmitter("n7", a.path)
	if err != nil {
		t.Fatal(err)
	}
	e.Emit(map[string]any{"type": "log", "message": "hello", "time": 5})
	e.Detector("n2", "dead", -1)
	got := a.all(200 * time.Millisecond)
	if len(got) != 2 || got[0]["node"] != "n7" || got[0]["message"] != "hello" || got[0]["time"] != nil {
		t.Fatalf("got %v", got)
	}
	if got[1]["type"] != "detector" || got[1]["subject"] != "n2" || got[1]["status"] != "dead" || got[1]["incarnation"] != nil {
		t.Fatalf("got %v", got[1])
	}
	e.Stop()
	e.Log("after stop")
	if ev := a.next(100 * time.Millisecond); ev != nil {
		t.Fatalf("reported after Stop: %v", ev)
	}
	if e.Dropped() != 0 {
		t.Fatalf("dropped %d", e.Dropped())
	}
}

func TestOpIDsAreUniqueAndExactInJSON(t *testing.T) {
	a, b := NewOpID(), NewOpID()
	if a == b || a <= 0 || b >= 1<<53 {
		t.Fatalf("op ids %d %d", a, b)
	}
}

// The real gobreaker: 2 consecutive failures open it, 100ms later one trial
// is admitted, its success closes it.
func TestBreakerReportsCallsResultsAndTransitionsInOrder(t *testing.T) {
	a := newAgent(t)
	e, _ := NewEmitter("n1", a.path)
	b := NewBreaker(e, gobreaker.Settings{Name: "peer-n2", MaxRequests: 1, Timeout: 100 * time.Millisecond,
		ReadyToTrip: func(c gobreaker.Counts) bool { return c.ConsecutiveFailures >= 2 }})
	fail := errors.New("down")
	_ = b.Call(func() error { return fail })
	_ = b.Call(func() error { return fail })
	if err := b.Call(func() error { return nil }); !errors.Is(err, ErrRejected) {
		t.Fatalf("open breaker admitted a call: %v", err)
	}
	time.Sleep(150 * time.Millisecond)
	if err := b.Call(func() error { return nil }); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, ev := range a.all(200 * time.Millisecond) {
		switch ev["event"] {
		case "call":
			got = append(got, fmt.Sprintf("call %v %v", ev["call"], ev["permitted"]))
		case "result":
			got = append(got, fmt.Sprintf("result %v %v", ev["call"], ev["outcome"]))
		case "transition":
			got = append(got, fmt.Sprintf("%v->%v", ev["from"], ev["to"]))
		}
	}
	want := []string{"call 1 true", "result 1 failure", "call 2 true", "closed->open", "result 2 failure",
		"call 3 false", "open->half_open", "call 4 true", "half_open->closed", "result 4 success"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("got  %v\nwant %v", got, want)
	}
}

// The real cenkalti/backoff: two failures then a success; each attempt is
// reported when it ends, with the delay slept before it.
func TestRetryReportsEachAttemptWithItsDelay(t *testing.T) {
	a := newAgent(t)
	e, _ := NewEmitter("n1", a.path)
	n := 0
	var sent []time.Time
	err := e.Retry(func() error {
		n++
		sent = append(sent, time.Now())
		if n < 3 {
			return errors.New("transient")
		}
		return nil
	}, backoff.NewExponentialBackOff(backoff.WithInitialInterval(20*time.Millisecond)))
	if err != nil {
		t.Fatal(err)
	}
	got := a.all(200 * time.Millisecond)
	if len(got) != 3 {
		t.Fatalf("got %v", got)
	}
	for i, ev := range got {
		outcome := "failure"
		if i == 2 {
			outcome = "success"
		}
		delay := time.Duration(ev["delay"].(float64))
		if ev["attempt"] != float64(i) || ev["outcome"] != outcome || ev["op"] != got[0]["op"] ||
			(i == 0) != (delay == 0) || (i > 0 && sent[i].Sub(sent[i-1]) < delay) {
			t.Fatalf("attempt %d: %v", i, ev)
		}
	}
	if err := e.Retry(func() error { return backoff.Permanent(errors.New("no")) }, backoff.NewConstantBackOff(time.Millisecond)); err == nil {
		t.Fatal("a permanent error succeeded")
	}
	if ev := a.next(200 * time.Millisecond); ev == nil || ev["outcome"] != "non-retryable" {
		t.Fatalf("got %v", ev)
	}
}

// Two real memberlist nodes on loopback: n2 stops answering (Shutdown without
// Leave), n1 reports it dead; n2 comes back on the same address, rejoins and
// refutes, n1 reports it alive. The first join is not reported.
func TestDetectorReportsMemberlistDeathAndReturn(t *testing.T) {
	a := newAgent(t)
	e, _ := NewEmitter("n1", a.path)
	port := func() int {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		return l.Addr().(*net.TCPAddr).Port
	}
	start := func(name string, p int, events memberlist.EventDelegate) *memberlist.Memberlist {
		c := memberlist.DefaultLocalConfig()
		c.Name, c.BindAddr, c.BindPort, c.AdvertisePort = name, "127.0.0.1", p, p
		c.ProbeInterval, c.ProbeTimeout, c.SuspicionMult = 100*time.Millisecond, 50*time.Millisecond, 2
		c.PushPullInterval, c.GossipInterval = 200*time.Millisecond, 20*time.Millisecond
		c.Logger = log.New(io.Discard, "", 0)
		c.Events = events
		m, err := memberlist.Create(c)
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	p1, p2 := port(), port()
	n1 := start("n1", p1, NewDetector(e, "n1"))
	defer n1.Shutdown()
	n2 := start("n2", p2, nil)
	if _, err := n2.Join([]string{fmt.Sprintf("127.0.0.1:%d", p1)}); err != nil {
		t.Fatal(err)
	}
	if ev := a.next(500 * time.Millisecond); ev != nil {
		t.Fatalf("first join reported: %v", ev)
	}
	_ = n2.Shutdown()
	if ev := a.next(10 * time.Second); ev == nil || ev["subject"] != "n2" || ev["status"] != "dead" {
		t.Fatalf("no death: %v", ev)
	}
	n2 = start("n2", p2, nil)
	defer n2.Shutdown()
	if _, err := n2.Join([]string{fmt.Sprintf("127.0.0.1:%d", p1)}); err != nil {
		t.Fatal(err)
	}
	if ev := a.next(10 * time.Second); ev == nil || ev["subject"] != "n2" || ev["status"] != "alive" {
		t.Fatalf("no return: %v", ev)
	}
}
