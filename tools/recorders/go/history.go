package main

import (
	"encoding/json"
	"fmt"
	"os"
	"sync"
	"time"
)

// History writes a faultline history (JSONL, one event per line, "time" in ns
// since the recorder started, monotonic). Every method that drives the library
// and logs what it did runs under Lock, so the file's order is the order in
// which the library saw things, as an instrumented service must report it.
type History struct {
	mu    sync.Mutex
	start time.Time
	out   *os.File
	err   error
}

func NewHistory(path string, nodes []string) (*History, error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	h := &History{start: time.Now(), out: f}
	h.write(map[string]any{"time": 0, "type": "cluster", "nodes": nodes})
	return h, nil
}

func (h *History) Lock()   { h.mu.Lock() }
func (h *History) Unlock() { h.mu.Unlock() }

// Now is the recorder's timeline: ns since start, from the monotonic clock.
func (h *History) Now() int64 { return int64(time.Since(h.start)) }

// Emit writes one event stamped now; the caller holds the lock.
func (h *History) Emit(event map[string]any) {
	event["time"] = h.Now()
	h.write(event)
}

func (h *History) write(event map[string]any) {
	// "time" and "type" first, as faultline writes them.
	line, err := json.Marshal(event)
	if err != nil {
		h.err = err
		return
	}
	head := fmt.Sprintf(`{"time":%d,"type":%q,`, event["time"], event["type"])
	var rest map[string]json.RawMessage
	_ = json.Unmarshal(line, &rest)
	delete(rest, "time")
	delete(rest, "type")
	body, _ := json.Marshal(rest)
	if _, err := h.out.WriteString(head + string(body[1:]) + "\n"); err != nil && h.err == nil {
		h.err = err
	}
}

func (h *History) Close() error {
	if err := h.out.Close(); err != nil && h.err == nil {
		h.err = err
	}
	return h.err
}

// historyState is a breaker state as the history spells it.
func historyState(closed, open bool) string {
	switch {
	case closed:
		return "closed"
	case open:
		return "open"
	default:
		return "half_open"
	}
}
