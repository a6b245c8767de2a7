// Porcupine baseline for the faultline linearizability benchmark.
//
// Reads one history in faultline JSONL (one event a line: time, type
// invoke|ok|fail|info, process, f, value, optional key), as written by
// `linearizable_bench --write-dir`, and checks it with Porcupine v1.3.1 using
// a cas-register or kv model that follows the same Jepsen semantics as
// faultline's models:
//   - an invoke is paired with the next completion of the same process;
//   - `fail` did not happen: the op is dropped;
//   - `info`, or an invoke without completion, gets Return = infinity
//     (math.MaxInt64) and an "unknown" output, as Porcupine expects for
//     crashed ops: an unknown read matches any state, an unknown write always
//     takes effect when linearized, an unknown cas takes effect when the state
//     is its expected value and is a no-op otherwise (linearized where it
//     cannot match, it is the "never happened" case);
//   - call/return times are the event's position in the file, so real-time
//     order is file order, as faultline uses it;
//   - a read whose value is null is an unknown read (Knossos).
// The kv model partitions by key (Porcupine checks partitions in parallel).
//
//	porcupine-bench -model cas-register|kv [-initial JSON] [-timeout SECONDS] FILE
//
// Prints one line: verdict=linearizable|illegal|unknown ops=N check_seconds=S
// (check time excludes reading and parsing the file).
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"os"
	"time"

	"github.com/anishathalye/porcupine"
)

type event struct {
	Type    string          `json:"type"`
	Process int64           `json:"process"`
	F       string          `json:"f"`
	Value   json.RawMessage `json:"value"`
	Key     json.RawMessage `json:"key"`
}

type op struct {
	f       string
	input   json.RawMessage
	output  json.RawMessage
	key     string
	info    bool
	process int64
	call    int64
	ret     int64
}

func isNull(v json.RawMessage) bool { return len(v) == 0 || string(v) == "null" }

func readOps(path string) ([]op, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<30)
	var ops []op
	pending := map[int64]int{} // process -> index in ops
	var pos int64
	for sc.Scan() {
		line := sc.Bytes()
		if len(line) == 0 {
			continue
		}
		var e event
		if err := json.Unmarshal(line, &e); err != nil {
			return nil, fmt.Errorf("line %d: %v", pos+1, err)
		}
		pos++
		switch e.Type {
		case "invoke":
			if _, busy := pending[e.Process]; busy {
				return nil, fmt.Errorf("line %d: process %d invokes while pending", pos, e.Process)
			}
			key := ""
			if !isNull(e.Key) {
				key = string(e.Key)
			}
			ops = append(ops, op{f: e.F, input: e.Value, key: key, process: e.Process, call: pos, ret: math.MaxInt64, info: true})
			pending[e.Process] = len(ops) - 1
		case "ok", "fail", "info":
			i, ok := pending[e.Process]
			if !ok {
				return nil, fmt.Errorf("line %d: completion without invoke", pos)
			}
			delete(pending, e.Process)
			switch e.Type {
			case "ok":
				ops[i].output = e.Value
				ops[i].ret = pos
				ops[i].info = false
			case "fail":
				ops[i].f = "" // did not happen
			}
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	kept := ops[:0]
	for _, o := range ops {
		if o.f != "" {
			kept = append(kept, o)
		}
	}
	return kept, nil
}

// ---- cas-register ----

type regInput struct {
	op   uint8 // 0 read, 1 write, 2 cas
	a, b int
}
type regOutput struct {
	value   int
	unknown bool
}

type interner map[string]int

func (in interner) id(v json.RawMessage) int {
	var x interface{}
	s := "null"
	if !isNull(v) && json.Unmarshal(v, &x) == nil {
		b, _ := json.Marshal(x)
		s = string(b)
	}
	if id, ok := in[s]; ok {
		return id
	}
	in[s] = len(in)
	return len(in) - 1
}

func casRegister(ops []op, initial json.RawMessage) (porcupine.Model, []porcupine.Operation, error) {
	values := interner{}
	init := values.id(initial)
	var out []porcupine.Operation
	for _, o := range ops {
		var in regInput
		res := regOutput{unknown: o.info}
		input := o.input
		if isNull(input) {
			input = o.output
		}
		switch o.f {
		case "read":
			in.op = 0
			if isNull(o.output) {
				res.unknown = true
			} else {
				res.value = values.id(o.output)
			}
		case "write":
			in.op = 1
			in.a = values.id(input)
		case "cas":
			var pair []json.RawMessage
			if err := json.Unmarshal(input, &pair); err != nil || len(pair) != 2 {
				return porcupine.Model{}, nil, fmt.Errorf("cas value must be [expected new]: %s", input)
			}
			in.op, in.a, in.b = 2, values.id(pair[0]), values.id(pair[1])
		default:
			return porcupine.Model{}, nil, fmt.Errorf("cas-register has no op %q", o.f)
		}
		out = append(out, porcupine.Operation{ClientId: int(o.process), Input: in, Output: res, Call: o.call, Return: o.ret})
	}
	model := porcupine.Model{
		Init: func() interface{} { return init },
		Step: func(state, input, output interface{}) (bool, interface{}) {
			st := state.(int)
			in := input.(regInput)
			out := output.(regOutput)
			switch in.op {
			case 0:
				return out.unknown || st == out.value, st
			case 1:
				return true, in.a
			default:
				if st == in.a {
					return true, in.b
				}
				return out.unknown, st // an unknown cas that does not match is a no-op
			}
		},
		Hash: func(state interface{}) uint64 { return uint64(state.(int)) },
	}
	return model, out, nil
}

// ---- kv (Porcupine's own kv test model, with unknown outputs) ----

type kvInput struct {
	op    uint8 // 0 get, 1 put, 2 append
	key   string
	value string
}
type kvOutput struct {
	value   string
	unknown bool
}

func kv(ops []op, initial json.RawMessage) (porcupine.Model, []porcupine.Operation, error) {
	init := ""
	if !isNull(initial) {
		if err := json.Unmarshal(initial, &init); err != nil {
			return porcupine.Model{}, nil, fmt.Errorf("kv initial must be a string")
		}
	}
	str := func(v json.RawMessage) (string, error) {
		var s string
		err := json.Unmarshal(v, &s)
		return s, err
	}
	var out []porcupine.Operation
	for _, o := range ops {
		var in kvInput
		in.key = o.key
		res := kvOutput{unknown: o.info}
		input := o.input
		if isNull(input) {
			input = o.output
		}
		var err error
		switch o.f {
		case "get", "read":
			if isNull(o.output) {
				res.unknown = true
			} else if res.value, err = str(o.output); err != nil {
				return porcupine.Model{}, nil, fmt.Errorf("get must return a string")
			}
		case "put", "write", "append":
			in.op = 1
			if o.f == "append" {
				in.op = 2
			}
			if in.value, err = str(input); err != nil {
				return porcupine.Model{}, nil, fmt.Errorf("%s value must be a string", o.f)
			}
		default:
			return porcupine.Model{}, nil, fmt.Errorf("kv has no op %q", o.f)
		}
		out = append(out, porcupine.Operation{ClientId: int(o.process), Input: in, Output: res, Call: o.call, Return: o.ret})
	}
	model := porcupine.Model{
		Partition: func(history []porcupine.Operation) [][]porcupine.Operation {
			m := map[string][]porcupine.Operation{}
			var keys []string
			for _, v := range history {
				k := v.Input.(kvInput).key
				if _, ok := m[k]; !ok {
					keys = append(keys, k)
				}
				m[k] = append(m[k], v)
			}
			var ret [][]porcupine.Operation
			for _, k := range keys {
				ret = append(ret, m[k])
			}
			return ret
		},
		Init: func() interface{} { return init },
		Step: func(state, input, output interface{}) (bool, interface{}) {
			st := state.(string)
			in := input.(kvInput)
			out := output.(kvOutput)
			switch in.op {
			case 0:
				return out.unknown || out.value == st, st
			case 1:
				return true, in.value
			default:
				return true, st + in.value
			}
		},
		Equal: func(a, b interface{}) bool { return a.(string) == b.(string) },
	}
	return model, out, nil
}

func main() {
	modelName := flag.String("model", "cas-register", "cas-register or kv")
	initial := flag.String("initial", "null", "initial value as JSON")
	timeout := flag.Float64("timeout", 0, "seconds; 0 = none (past it the verdict is unknown)")
	flag.Parse()
	if flag.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: porcupine-bench -model cas-register|kv [-initial JSON] [-timeout S] FILE")
		os.Exit(254)
	}
	ops, err := readOps(flag.Arg(0))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(3)
	}
	var model porcupine.Model
	var history []porcupine.Operation
	switch *modelName {
	case "cas-register":
		model, history, err = casRegister(ops, json.RawMessage(*initial))
	case "kv":
		model, history, err = kv(ops, json.RawMessage(*initial))
	default:
		err = fmt.Errorf("unknown model %q", *modelName)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(3)
	}
	start := time.Now()
	res := porcupine.CheckOperationsTimeout(model, history, time.Duration(*timeout*float64(time.Second)))
	secs := time.Since(start).Seconds()
	verdict := map[porcupine.CheckResult]string{porcupine.Ok: "linearizable", porcupine.Illegal: "illegal", porcupine.Unknown: "unknown"}[res]
	fmt.Printf("verdict=%s ops=%d check_seconds=%.6f\n", verdict, len(history), secs)
	switch res {
	case porcupine.Ok:
		os.Exit(0)
	case porcupine.Illegal:
		os.Exit(1)
	}
	os.Exit(2)
}
