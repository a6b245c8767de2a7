// Command recorders drives real Go resilience libraries with randomized
// timings and outcomes and writes what they did as a faultline history, so
// that faultline's profiles can be checked against the libraries themselves.
//
//	recorders LIBRARY --seed N --out FILE [--duration D]
//
// LIBRARY is gobreaker (sony/gobreaker/v2), failsafe-go or cenkalti-backoff
// (cenkalti/backoff/v4). The seed fixes the workload (outcomes, call
// durations, which boundary offsets are probed); the library's own timing is
// real, so two runs with one seed differ in detail but not in kind.
package main

import (
	"flag"
	"fmt"
	"os"
	"time"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: recorders gobreaker|failsafe-go|cenkalti-backoff --seed N --out FILE [--duration D]")
		os.Exit(254)
	}
	library := os.Args[1]
	fs := flag.NewFlagSet(library, flag.ExitOnError)
	seed := fs.Int64("seed", 1, "workload seed")
	out := fs.String("out", "", "history file to write")
	duration := fs.Duration("duration", 3*time.Second, "how long to drive the library")
	_ = fs.Parse(os.Args[2:])
	if *out == "" {
		fmt.Fprintln(os.Stderr, "recorders: --out is required")
		os.Exit(254)
	}
	var err error
	switch library {
	case "gobreaker":
		err = recordGobreaker(*out, *seed, *duration)
	case "failsafe-go":
		err = recordFailsafe(*out, *seed, *duration)
	case "cenkalti-backoff":
		err = recordCenkalti(*out, *seed, *duration)
	default:
		fmt.Fprintf(os.Stderr, "recorders: unknown library %q\n", library)
		os.Exit(254)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "recorders:", err)
		os.Exit(1)
	}
}
