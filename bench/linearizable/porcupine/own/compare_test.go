//go:build porcupine_own

// Porcupine on its own test data, with its own parsers and models.
//
// compare.sh copies this file into a copy of the Porcupine module (the
// version pinned in ../go.mod, whose module zip has test_data/) and builds
// the package's tests with `go test -tags porcupine_own -c`, so that
// parseKvLog, parseJepsenLog, kvModel and etcdModel (defined in Porcupine's
// porcupine_test.go) are used exactly as Porcupine's own tests use them.
// Run as
//
//	porcupine.test -test.run '^TestCompareFile$'
//
// with COMPARE_FILE (a history), COMPARE_KIND (kv or etcd) and
// COMPARE_TIMEOUT (seconds, 0 = none). It prints one line:
// verdict=linearizable|illegal|unknown ops=N check_seconds=S, where the
// seconds are those of CheckEventsTimeout alone (parsing excluded).
package porcupine

import (
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"
)

func TestCompareFile(t *testing.T) {
	file := os.Getenv("COMPARE_FILE")
	if file == "" {
		t.Skip("COMPARE_FILE not set")
	}
	seconds, _ := strconv.ParseFloat(os.Getenv("COMPARE_TIMEOUT"), 64)
	var events []Event
	var model Model
	switch kind := os.Getenv("COMPARE_KIND"); kind {
	case "kv":
		events, model = parseKvLog(file), kvModel
	case "etcd":
		events, model = parseJepsenLog(file), etcdModel
	default:
		t.Fatalf("COMPARE_KIND must be kv or etcd, got %q", kind)
	}
	start := time.Now()
	res := CheckEventsTimeout(model, events, time.Duration(seconds*float64(time.Second)))
	elapsed := time.Since(start).Seconds()
	verdict := map[CheckResult]string{Ok: "linearizable", Illegal: "illegal", Unknown: "unknown"}[res]
	fmt.Printf("verdict=%s ops=%d check_seconds=%.6f\n", verdict, len(events)/2, elapsed)
}
