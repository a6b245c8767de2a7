// Command faultline-memberlist-node is one node of a small Go service built
// on hashicorp/memberlist (membership and failure detection, LAN defaults),
// sony/gobreaker/v2 (a circuit breaker per peer on every peer call) and
// cenkalti/backoff/v4 (a retried replication operation), instrumented with
// faultline's Go adapter (adapters/go): it reports detector, breaker and
// retry events as docs/events.md asks. See README.md beside this file.
//
//	faultline-memberlist-node --name n1 --bind 198.18.0.2 \
//	    --peers n2,n3 --peer-gossip A:7946,B:7946 --peer-http A:8080,B:8080 [--bug slow-probe]
//	faultline-memberlist-node ready --http ADDR:PORT --members N
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"net/http"
	"os"
	"strings"
	"time"

	faultline "faultline/adapters/go"

	"github.com/hashicorp/memberlist"
)

type options struct {
	name        string
	bind        string
	gossipPort  int
	httpPort    int
	peers       []string
	peerGossip  []string
	peerHTTP    []string
	bug         string
	callEvery   time.Duration
	retryEvery  time.Duration
	callTimeout time.Duration
}

func splitList(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, ",")
}

func main() {
	if len(os.Args) > 1 && os.Args[1] == "ready" {
		os.Exit(ready(os.Args[2:]))
	}
	var o options
	var peers, peerGossip, peerHTTP string
	flag.StringVar(&o.name, "name", os.Getenv("FAULTLINE_NODE"), "this node's name")
	flag.StringVar(&o.bind, "bind", "127.0.0.1", "address to bind and advertise")
	flag.IntVar(&o.gossipPort, "gossip-port", 7946, "memberlist's port (UDP and TCP)")
	flag.IntVar(&o.httpPort, "http-port", 8080, "the service's HTTP port (peer calls, /members)")
	flag.StringVar(&peers, "peers", "", "the other nodes' names, comma-separated")
	flag.StringVar(&peerGossip, "peer-gossip", "", "the other nodes' memberlist ADDR:PORT, in --peers order")
	flag.StringVar(&peerHTTP, "peer-http", "", "the other nodes' HTTP ADDR:PORT, in --peers order")
	flag.StringVar(&o.bug, "bug", "", "misbehave: slow-probe (probe every 5s while the suite declares memberlist's LAN 1s)")
	flag.DurationVar(&o.callEvery, "call-every", 500*time.Millisecond, "pause between two calls to one peer")
	flag.DurationVar(&o.retryEvery, "retry-every", time.Second, "how often a replication operation starts")
	flag.DurationVar(&o.callTimeout, "call-timeout", time.Second, "one peer call's timeout")
	flag.Parse()
	o.peers, o.peerGossip, o.peerHTTP = splitList(peers), splitList(peerGossip), splitList(peerHTTP)
	if o.name == "" || len(o.peers) != len(o.peerGossip) || len(o.peers) != len(o.peerHTTP) {
		fmt.Fprintln(os.Stderr, "need --name, and --peers, --peer-gossip, --peer-http of equal length")
		os.Exit(254)
	}
	if o.bug != "" && o.bug != "slow-probe" {
		fmt.Fprintf(os.Stderr, "unknown --bug %q (known: slow-probe)\n", o.bug)
		os.Exit(254)
	}
	if err := run(o); err != nil {
		log.Printf("[ERR] faultline-memberlist-node: %v", err)
		os.Exit(1)
	}
}

func run(o options) error {
	events, err := faultline.NewEmitter(o.name, "")
	if err != nil {
		return fmt.Errorf("event socket: %w", err)
	}
	stop := make(chan struct{})
	// SIGTERM: report nothing more (docs/events.md), then stop without a
	// graceful Leave (a leave would look like a death to the others).
	events.StopOnSigterm(func() { close(stop) })

	conf := memberlist.DefaultLANConfig()
	conf.Name = o.name
	conf.BindAddr, conf.BindPort = o.bind, o.gossipPort
	conf.AdvertiseAddr, conf.AdvertisePort = o.bind, o.gossipPort
	conf.LogOutput = os.Stderr
	detector := faultline.NewDetector(events, o.name)
	conf.Events = detector
	if o.bug == "slow-probe" {
		// The bug: a probe interval five times memberlist's LAN default,
		// while the suite declares profile memberlist-lan. Its suspicion
		// timeout scales with it (SuspicionMult x log10(n) x interval).
		conf.ProbeInterval = 5 * time.Second
	}
	list, err := memberlist.Create(conf)
	if err != nil {
		return fmt.Errorf("memberlist: %w", err)
	}
	log.Printf("[INFO] faultline-memberlist-node: %s on %s:%d, probe interval %v, probe timeout %v, suspicion x%d",
		o.name, o.bind, o.gossipPort, conf.ProbeInterval, conf.ProbeTimeout, conf.SuspicionMult)
	go join(list, o.peerGossip, stop)

	srv := serve(o, list, detector)
	svc := newService(o, events)
	svc.start(stop)

	<-stop
	log.Printf("[INFO] faultline-memberlist-node: stopping; %d event(s) dropped", events.Dropped())
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	_ = srv.Shutdown(ctx)
	_ = list.Shutdown()
	return nil
}

// join contacts the seeds until one answers (the others may still be
// starting, or this is a restart after a kill: memberlist's push-pull with
// the seed then tells this node it was declared dead, and it refutes).
func join(list *memberlist.Memberlist, seeds []string, stop <-chan struct{}) {
	for {
		n, err := list.Join(seeds)
		if n > 0 {
			log.Printf("[INFO] faultline-memberlist-node: joined through %d of %d seeds", n, len(seeds))
			return
		}
		log.Printf("[INFO] faultline-memberlist-node: join: %v (retrying)", err)
		select {
		case <-stop:
			return
		case <-time.After(500 * time.Millisecond):
		}
	}
}

// serve answers peer calls (/ping, /replicate) and tells who is a member
// (/members: the names memberlist holds alive or suspect).
func serve(o options, list *memberlist.Memberlist, detector *faultline.Detector) *http.Server {
	mux := http.NewServeMux()
	mux.HandleFunc("/ping", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprintln(w, "pong") })
	mux.HandleFunc("/replicate", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprintln(w, "ok") })
	mux.HandleFunc("/members", func(w http.ResponseWriter, _ *http.Request) {
		var names []string
		for _, m := range list.Members() {
			names = append(names, m.Name)
		}
		_ = json.NewEncoder(w).Encode(map[string]any{"members": names, "dead": detector.Dead()})
	})
	srv := &http.Server{Addr: fmt.Sprintf("%s:%d", o.bind, o.httpPort), Handler: mux,
		ReadHeaderTimeout: 5 * time.Second}
	go func() {
		if err := srv.ListenAndServe(); err != nil && err != http.ErrServerClosed {
			log.Fatalf("[ERR] faultline-memberlist-node: http: %v", err)
		}
	}()
	return srv
}

// ready exits 0 once the node at --http lists --members members.
func ready(args []string) int {
	fs := flag.NewFlagSet("ready", flag.ExitOnError)
	addr := fs.String("http", "127.0.0.1:8080", "the node's HTTP ADDR:PORT")
	want := fs.Int("members", 1, "members it must list")
	_ = fs.Parse(args)
	client := http.Client{Timeout: time.Second}
	resp, err := client.Get("http://" + *addr + "/members")
	if err != nil {
		fmt.Println(err)
		return 1
	}
	defer resp.Body.Close()
	var body struct {
		Members []string `json:"members"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		fmt.Println(err)
		return 1
	}
	if len(body.Members) < *want {
		fmt.Printf("%d of %d members: %v\n", len(body.Members), *want, body.Members)
		return 1
	}
	return 0
}
