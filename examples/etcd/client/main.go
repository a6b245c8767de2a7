// Command etcd-register is a Jepsen-style cas-register client for etcd: it
// runs random read / write / cas operations against one etcd member through
// the etcd client v3 and prints each operation as faultline's client
// protocol asks (docs/suites.md, "The client protocol"; docs/own-system.md):
//
//	{"type":"invoke","process":3,"f":"cas","key":"r12","value":[1,4],"node":"n2","mono_ns":...}
//	{"type":"ok","process":3,"f":"cas","key":"r12","value":[1,4],"node":"n2","mono_ns":...}
//
//	etcd-register --endpoint 198.18.0.2:2379 --node n1 --process 0 --concurrency 10
//	              [--serializable] [--keys 3] [--key-period 10s] [--timeout 1s] [--seed 1]
//
// Rules it follows, each one a rule of the protocol:
//   - one line per event, one write(2) each, unbuffered (os.Stdout is not
//     buffered in Go);
//   - invoke printed before the request, the completion after the reply, each
//     with CLOCK_MONOTONIC taken just before sending / just after the reply
//     (Go's time package reads CLOCK_MONOTONIC; monoNow gives its raw value);
//   - ok: it happened; fail: it certainly did not (a read that errored, a cas
//     whose compare failed); info: unknown (a write or cas that timed out or
//     errored: the member may have applied it, or may still);
//   - after an info the process may still have that operation in flight, so
//     the client continues as a new process, process + concurrency (as
//     Jepsen does), and never has two operations open under one process;
//   - a missing key reads as 0, so the suite's checker uses initial 0.
//
// Keys: at any moment `keys` keys are in use, and the set moves on every
// key-period (all clients share CLOCK_MONOTONIC, so they move together).
// That bounds each key's history, which keeps the linearizability search
// small, as Jepsen's independent keys do.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"math/rand"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"
	"golang.org/x/sys/unix"
)

type options struct {
	endpoint     string
	node         string
	process      int
	concurrency  int
	serializable bool
	keys         int
	keyPeriod    time.Duration
	timeout      time.Duration
	interval     time.Duration
	seed         int64
}

func main() {
	var o options
	flag.StringVar(&o.endpoint, "endpoint", "", "the etcd member's client address host:port")
	flag.StringVar(&o.node, "node", "", "the member's node name (recorded in each op)")
	flag.IntVar(&o.process, "process", 0, "this client's number, 0-based")
	flag.IntVar(&o.concurrency, "concurrency", 1, "how many clients run (a process id is retired after an info by adding this)")
	flag.BoolVar(&o.serializable, "serializable", false, "serializable reads (served by the member alone, may be stale)")
	flag.IntVar(&o.keys, "keys", 3, "keys in use at once")
	flag.DurationVar(&o.keyPeriod, "key-period", 10*time.Second, "how long a set of keys stays in use")
	flag.DurationVar(&o.timeout, "timeout", time.Second, "each operation's timeout")
	flag.DurationVar(&o.interval, "interval", 20*time.Millisecond, "mean pause between operations")
	flag.Int64Var(&o.seed, "seed", 1, "random seed (mixed with the process number)")
	flag.Parse()
	if o.endpoint == "" || o.concurrency < 1 || o.keys < 1 || o.keyPeriod <= 0 {
		fmt.Fprintln(os.Stderr, "etcd-register: --endpoint is required; --concurrency, --keys, --key-period must be positive")
		os.Exit(254)
	}

	cli, err := clientv3.New(clientv3.Config{
		Endpoints:   []string{o.endpoint},
		DialTimeout: o.timeout,
		Logger:      zap.NewNop(),
		// One member only: no failover to another endpoint, so the op's node is the member it names.
		AutoSyncInterval: 0,
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, "etcd-register:", err)
		os.Exit(255)
	}
	defer cli.Close()

	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGTERM, syscall.SIGINT)
	run(cli, o, stop)
}

// monoNow is CLOCK_MONOTONIC in nanoseconds, the clock the controller uses.
func monoNow() int64 {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_MONOTONIC, &ts); err != nil {
		panic(err)
	}
	return ts.Nano()
}

type op struct {
	Type    string `json:"type"`
	Process int    `json:"process"`
	F       string `json:"f"`
	Key     string `json:"key"`
	Value   any    `json:"value"`
	Node    string `json:"node,omitempty"`
	Error   string `json:"error,omitempty"`
	MonoNs  int64  `json:"mono_ns"`
}

// emit writes one line with one write(2).
func emit(o op) {
	line, _ := json.Marshal(o)
	line = append(line, '\n')
	if _, err := os.Stdout.Write(line); err != nil {
		os.Exit(0) // the controller is gone
	}
}

func run(cli *clientv3.Client, o options, stop <-chan os.Signal) {
	rng := rand.New(rand.NewSource(o.seed*7919 + int64(o.process)))
	process := o.process
	for {
		select {
		case <-stop:
			return
		default:
		}
		key := "r" + strconv.FormatInt(monoNow()/int64(o.keyPeriod)*int64(o.keys)+int64(rng.Intn(o.keys)), 10)
		inv := op{Type: "invoke", Process: process, Key: key, Node: o.node}
		switch r := rng.Intn(10); {
		case r < 5:
			inv.F, inv.Value = "read", nil
		case r < 7:
			inv.F, inv.Value = "write", rng.Intn(5)
		default:
			inv.F, inv.Value = "cas", []int{rng.Intn(5), rng.Intn(5)}
		}
		ctx, cancel := context.WithTimeout(context.Background(), o.timeout)
		inv.MonoNs = monoNow()
		emit(inv)
		done := apply(ctx, cli, o, inv)
		cancel()
		done.MonoNs = monoNow()
		emit(done)
		if done.Type == "info" {
			process += o.concurrency
		}
		pause := o.interval / 2
		if o.interval > 0 {
			pause += time.Duration(rng.Int63n(int64(o.interval)))
		}
		if done.Error != "" {
			pause += 100 * time.Millisecond // a member that is down or cut off: don't spin
		}
		time.Sleep(pause)
	}
}

// apply runs one operation and returns its completion line (without mono_ns).
func apply(ctx context.Context, cli *clientv3.Client, o options, inv op) op {
	done := inv
	switch inv.F {
	case "read":
		var opts []clientv3.OpOption
		if o.serializable {
			opts = append(opts, clientv3.WithSerializable())
		}
		resp, err := cli.Get(ctx, inv.Key, opts...)
		if err != nil {
			// A read changes nothing: failing it is always sound.
			done.Type, done.Error = "fail", err.Error()
			return done
		}
		value := 0 // a key never written holds the initial value, 0
		if len(resp.Kvs) > 0 {
			if value, err = strconv.Atoi(string(resp.Kvs[0].Value)); err != nil {
				done.Type, done.Error = "fail", "not a number: "+string(resp.Kvs[0].Value)
				return done
			}
		}
		done.Type, done.Value = "ok", value
	case "write":
		_, err := cli.Put(ctx, inv.Key, strconv.Itoa(inv.Value.(int)))
		if err != nil {
			done.Type, done.Error = "info", err.Error() // may have been applied
			return done
		}
		done.Type = "ok"
	case "cas":
		ev := inv.Value.([]int)
		expected, next := strconv.Itoa(ev[0]), strconv.Itoa(ev[1])
		put := clientv3.OpPut(inv.Key, next)
		// Value == expected; a missing key holds 0, so cas from 0 also
		// succeeds when the key was never created (a nested transaction
		// keeps it one atomic step).
		var resp *clientv3.TxnResponse
		var err error
		if ev[0] == 0 {
			inner := clientv3.OpTxn([]clientv3.Cmp{clientv3.Compare(clientv3.Value(inv.Key), "=", expected)}, []clientv3.Op{put}, nil)
			resp, err = cli.Txn(ctx).
				If(clientv3.Compare(clientv3.CreateRevision(inv.Key), "=", 0)).
				Then(put).Else(inner).Commit()
			if err == nil && !resp.Succeeded {
				resp.Succeeded = resp.Responses[0].GetResponseTxn().Succeeded
			}
		} else {
			resp, err = cli.Txn(ctx).
				If(clientv3.Compare(clientv3.Value(inv.Key), "=", expected)).
				Then(put).Commit()
		}
		if err != nil {
			done.Type, done.Error = "info", err.Error() // may have been applied
			return done
		}
		if resp.Succeeded {
			done.Type = "ok"
		} else {
			done.Type = "fail"
		}
	}
	return done
}
