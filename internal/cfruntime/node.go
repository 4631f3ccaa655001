package cfruntime

import (
	"bufio"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"strings"
	"sync"
	"time"
)

//go:embed node/harness.js
var nodeHarness string

// Node runs function code in node (V8) with the CloudFront Functions
// surface, as a second engine for differential tests and for benchmarks.
// It is not an emulator: node has more than CloudFront does, and only the
// frozen Date, console.log and the missing globals are made to match.
type Node struct {
	mu     sync.Mutex
	cmd    *exec.Cmd
	in     io.WriteCloser
	out    *bufio.Reader
	rt     Runtime
	stderr strings.Builder
}

// ErrNoNode says how to get node when it is missing.
var ErrNoNode = errors.New("node is not installed; install Node.js 20 (apt-get install -y nodejs) to run functions in node")

// StartNode starts node with the harness and loads code into it.
func StartNode(code []byte, rt Runtime) (*Node, error) {
	path, err := exec.LookPath("node")
	if err != nil {
		return nil, ErrNoNode
	}
	n := &Node{rt: rt, cmd: exec.Command(path, "-e", nodeHarness)}
	n.cmd.Stderr = &n.stderr
	if n.in, err = n.cmd.StdinPipe(); err != nil {
		return nil, err
	}
	stdout, err := n.cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	n.out = bufio.NewReaderSize(stdout, 1<<20)
	if err := n.cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting node: %w", err)
	}
	var reply struct {
		OK bool `json:"ok"`
	}
	if err := n.call(map[string]any{"op": "load", "code": string(code), "runtime": rt}, &reply); err != nil {
		n.Close()
		return nil, err
	}
	return n, nil
}

func (n *Node) call(req any, reply any) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	b, err := json.Marshal(req)
	if err != nil {
		return err
	}
	if _, err := n.in.Write(append(b, '\n')); err != nil {
		return fmt.Errorf("node harness: %w (stderr: %s)", err, n.stderr.String())
	}
	line, err := n.out.ReadBytes('\n')
	if err != nil {
		return fmt.Errorf("node harness: %w (stderr: %s)", err, n.stderr.String())
	}
	var fatal struct {
		Fatal string `json:"fatal"`
	}
	if json.Unmarshal(line, &fatal) == nil && fatal.Fatal != "" {
		return errors.New("node harness: " + fatal.Fatal)
	}
	return json.Unmarshal(line, reply)
}

// Run invokes the handler with ev at time now and checks the output as
// CloudFront would, like Function.Run.
func (n *Node) Run(ev *Event, now time.Time) (*Result, error) {
	return n.RunKVS(ev, now, nil)
}

// RunKVS is Run with kvs as the function's associated key value store
// (cf.kvs()), as Options.KVS is for goja: its contents, times, id and
// read failure (KVS.FailReads) are copied to node for this run. An async
// handler's promise is awaited.
func (n *Node) RunKVS(ev *Event, now time.Time, kvs *KVS) (*Result, error) {
	b, err := json.Marshal(ev)
	if err != nil {
		return nil, err
	}
	return n.run(b, ev, now, kvs)
}

// RunJSON is Run for an event given as JSON of any shape.
func (n *Node) RunJSON(event []byte, now time.Time) (*Result, error) {
	return n.run(event, lenientEvent(event), now, nil)
}

// nodeKVS is a store as the harness takes it.
type nodeKVS struct {
	ID      string            `json:"id"`
	Data    map[string][]byte `json:"data"` // base64, as encoding/json writes []byte
	Created int64             `json:"created"`
	Updated int64             `json:"updated"`
	Fail    string            `json:"fail,omitempty"`
}

func toNodeKVS(kvs *KVS) *nodeKVS {
	if kvs == nil {
		return nil
	}
	data, m, fail := kvs.snapshot()
	out := &nodeKVS{ID: kvs.ID, Data: data, Created: m.created.UnixMilli(), Updated: m.updated.UnixMilli()}
	if fail != nil {
		out.Fail = fail.Error()
	}
	return out
}

func (n *Node) run(event json.RawMessage, ev *Event, now time.Time, kvs *KVS) (*Result, error) {
	var reply struct {
		Output *string  `json:"output"`
		Logs   []string `json:"logs"`
		Error  string   `json:"error"`
	}
	if err := n.call(map[string]any{"op": "run", "event": event, "now": now.UnixMilli(), "kvs": toNodeKVS(kvs)}, &reply); err != nil {
		return nil, err
	}
	res := &Result{Logs: reply.Logs}
	switch {
	case reply.Error != "":
		res.fail(ExecutionError, reply.Error)
	case reply.Output == nil:
		res.fail(ValidationError, "The function must return the request or a response object")
	default:
		res.checkOutput(*reply.Output, ev)
	}
	return res, nil
}

// Bench runs the handler iterations times on ev inside node and returns the
// mean time per invocation, as node measures it.
func (n *Node) Bench(ev *Event, now time.Time, iterations int) (time.Duration, error) {
	return n.BenchKVS(ev, now, iterations, nil)
}

// BenchKVS is Bench with kvs as the associated store (RunKVS).
func (n *Node) BenchKVS(ev *Event, now time.Time, iterations int, kvs *KVS) (time.Duration, error) {
	var reply struct {
		NsPerOp float64 `json:"ns_per_op"`
	}
	if err := n.call(map[string]any{"op": "bench", "event": ev, "now": now.UnixMilli(), "n": iterations, "kvs": toNodeKVS(kvs)}, &reply); err != nil {
		return 0, err
	}
	return time.Duration(reply.NsPerOp), nil
}

// LoadBaseline loads code into the same node process beside the function
// StartNode loaded, as the baseline of BenchPaired.
func (n *Node) LoadBaseline(code []byte) error {
	var reply struct {
		OK bool `json:"ok"`
	}
	return n.call(map[string]any{"op": "load", "slot": 1, "code": string(code), "runtime": n.rt}, &reply)
}

// BenchPaired runs the baseline (LoadBaseline; baseKVS is its store) and
// the function (kvs) alternately in one loop inside node, iterations times
// each, each invocation timed on its own and an async handler's promise
// awaited, and returns each one's mean time per invocation. Paired, the
// drift of a shared machine's speed falls on both alike, as in the goja
// edge benchmarks.
func (n *Node) BenchPaired(ev *Event, now time.Time, iterations int, baseKVS, kvs *KVS) (base, self time.Duration, err error) {
	var reply struct {
		NsPerOp []float64 `json:"ns_per_op"`
	}
	stores := []*nodeKVS{toNodeKVS(kvs), toNodeKVS(baseKVS)} // by slot: the function is 0
	if err := n.call(map[string]any{"op": "pair", "event": ev, "now": now.UnixMilli(), "n": iterations, "kvs": stores}, &reply); err != nil {
		return 0, 0, err
	}
	if len(reply.NsPerOp) != 2 {
		return 0, 0, fmt.Errorf("node harness: pair answered %d times, want 2", len(reply.NsPerOp))
	}
	return time.Duration(reply.NsPerOp[1]), time.Duration(reply.NsPerOp[0]), nil
}

// Close stops node.
func (n *Node) Close() {
	_ = n.in.Close()
	_ = n.cmd.Wait()
}
