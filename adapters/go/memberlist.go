package faultline

import (
	"sync"

	"github.com/hashicorp/memberlist"
)

// Detector is a memberlist.EventDelegate that reports what memberlist's
// public API shows of its failure detector: a peer's NotifyLeave (memberlist
// declared it dead, or it left) is "dead", a NotifyJoin of a peer it held
// dead is "alive" again. The first NotifyJoin of each peer is not reported
// (observers start believing every peer alive, docs/events.md). memberlist
// does not expose suspicion or incarnations through this interface, so
// neither is reported: judge with the statuses the service reports.
type Detector struct {
	e    *Emitter
	self string
	mu   sync.Mutex
	dead map[string]bool
}

// NewDetector reports for the local member named self.
func NewDetector(e *Emitter, self string) *Detector {
	return &Detector{e: e, self: self, dead: map[string]bool{}}
}

var _ memberlist.EventDelegate = (*Detector)(nil)

// NotifyJoin: a member is alive (again).
func (d *Detector) NotifyJoin(n *memberlist.Node) {
	if n.Name == d.self {
		return
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if was, seen := d.dead[n.Name]; seen && was {
		d.e.Detector(n.Name, "alive", -1)
	}
	d.dead[n.Name] = false
}

// NotifyLeave: a member is dead (or left).
func (d *Detector) NotifyLeave(n *memberlist.Node) {
	if n.Name == d.self {
		return
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if !d.dead[n.Name] {
		d.e.Detector(n.Name, "dead", -1)
	}
	d.dead[n.Name] = true
}

// NotifyUpdate: metadata or address changes say nothing about liveness.
func (d *Detector) NotifyUpdate(*memberlist.Node) {}

// Dead lists the peers this node holds dead now.
func (d *Detector) Dead() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	var out []string
	for n, dead := range d.dead {
		if dead {
			out = append(out, n)
		}
	}
	return out
}
