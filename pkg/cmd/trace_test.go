package cmd

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/calico-ebpf/kubectl-calico-ebpf/pkg/annotate"
	"github.com/calico-ebpf/kubectl-calico-ebpf/pkg/kube"
	"github.com/calico-ebpf/kubectl-calico-ebpf/pkg/output"
)

// The trace fixtures of every line generation: kernel columns ("0:" or "bpf_trace_printk:",
// four or five irq flags, with or without the task) and Calico prefixes (compiled or per
// interface, IPv6, CTLB, XDP, lost events).
var traceFixtures = []string{
	"handwritten/trace-v3.22-kernel5.4.txt",
	"handwritten/trace-v3.29-kernel5.15.txt",
	"handwritten/trace-v3.32-kernel6.8.txt",
	"handwritten/trace-runbook-2021.txt",
}

func TestTraceSavedEveryGenerationAndFilters(t *testing.T) {
	for _, f := range traceFixtures {
		out, errOut, code := runRoot(t, "trace", "--input", fixtures+f, "-o", "wide")
		if code != 0 || errOut != "" || !strings.HasPrefix(out, "TIME ") || !strings.Contains(out, "Final result=") {
			t.Errorf("%s: exit %d, stderr %q:\n%s", f, code, errOut, out)
		}
	}
	out, errOut, code := runRoot(t, "trace", "--input", fixtures+traceFixtures[1], "--iface", "cali*", "--iface", "eth0",
		"--direction", "egress", "--direction", "xdp", "--result", "allow", "--result", "deny", "-o", "json")
	var doc struct {
		Items []struct {
			Iface, Direction, Result string
			Line                     int
		}
	}
	if err := json.Unmarshal([]byte(out), &doc); code != 0 || err != nil {
		t.Fatalf("exit %d, %v, stderr %q:\n%s", code, err, errOut, out)
	}
	want := "5 calia1b2c3d4e5f E DENY|7 eth0 X ALLOW"
	var got []string
	for _, it := range doc.Items {
		got = append(got, fmt.Sprintf("%d %s %s %s", it.Line, it.Iface, it.Direction, it.Result))
	}
	if strings.Join(got, "|") != want {
		t.Errorf("filtered items %q, want %q", got, want)
	}
	out, _, code = runRoot(t, "trace", "--input", fixtures+traceFixtures[0], "--count", "2", "-o", "json")
	if code != 0 || strings.Count(out, `"line":`) != 2 {
		t.Errorf("--count 2: exit %d:\n%s", code, out)
	}
}

func TestTraceUsageErrors(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"trace", "--node", "n1", "--input", "-"}, "error: --input reads a saved trace; it cannot be combined with --node"},
		{[]string{"trace", "--input", "-", "--debug"}, "error: --debug switches a live node's logging"},
		{[]string{"trace", "--node", "n1", "--direction", "inbound"}, `error: unknown direction "inbound"`},
		{[]string{"trace", "--node", "n1", "--iface", "cali[a-"}, `error: bad interface pattern "cali[a-"`},
		{[]string{"trace", "--node", "n1", "--count", "-1"}, "error: --count must not be negative"},
	} {
		out, errOut, code := runRoot(t, c.args...)
		if code != 1 || out != "" || !strings.HasPrefix(errOut, c.want) || !strings.Contains(errOut, "--help") {
			t.Errorf("%v: exit %d, stdout %q, stderr %q", c.args, code, out, errOut)
		}
	}
}

// traceExec is a node whose commands are scripted: each argv either fails at once or streams
// lines, one every few milliseconds, and then keeps the stream open until its context ends,
// like the kernel's trace pipe.
type traceExec struct {
	mu      sync.Mutex
	answers map[string]traceAnswer
	ran     []string
	// stopped records the commands whose context was cancelled: the remote process's end.
	stopped []string
}

type traceAnswer struct {
	lines  []string
	stderr string
	exit   int   // with no lines: fail at once with this status
	err    error // the stream breaks with this after the lines
	end    bool  // the command exits 0 after the lines
}

func (f *traceExec) Exec(ctx context.Context, target kube.Target, argv []string, stdout, stderr io.Writer) error {
	cmd := strings.Join(argv, " ")
	f.mu.Lock()
	f.ran = append(f.ran, cmd)
	a, ok := f.answers[cmd]
	f.mu.Unlock()
	if !ok {
		a = traceAnswer{stderr: fmt.Sprintf("exec: %q: executable file not found in $PATH\n", argv[0]), exit: 127}
	}
	io.WriteString(stderr, a.stderr)
	if a.exit != 0 {
		return &kube.ExecError{Target: target, Argv: argv, ExitCode: a.exit, Stderr: a.stderr, Err: fmt.Errorf("exit status %d", a.exit)}
	}
	for _, l := range a.lines {
		select {
		case <-ctx.Done():
			return f.stop(cmd, ctx)
		case <-time.After(2 * time.Millisecond):
		}
		if _, err := io.WriteString(stdout, l+"\n"); err != nil {
			return f.stop(cmd, ctx)
		}
	}
	switch {
	case a.err != nil:
		return &kube.ExecError{Target: target, Argv: argv, ExitCode: -1, Err: a.err}
	case a.end:
		return nil
	}
	<-ctx.Done()
	return f.stop(cmd, ctx)
}

func (f *traceExec) stop(cmd string, ctx context.Context) error {
	f.mu.Lock()
	f.stopped = append(f.stopped, cmd)
	f.mu.Unlock()
	return &kube.ExecError{ExitCode: -1, Err: ctx.Err()}
}

func fixtureLines(t *testing.T, name string) []string {
	t.Helper()
	b, err := os.ReadFile(fixtures + name)
	if err != nil {
		t.Fatal(err)
	}
	return strings.Split(strings.TrimRight(string(b), "\n"), "\n")
}

var traceNode = kube.Target{Node: "node-1", Namespace: "calico-system", Pod: "calico-node-abcde", Container: "calico-node"}

// A live trace prints each event as it comes and stops cleanly on Ctrl-C, which ends the
// remote command too.
func TestStreamTraceStopsOnCancel(t *testing.T) {
	for _, f := range traceFixtures {
		lines := fixtureLines(t, f)
		ex := &traceExec{answers: map[string]traceAnswer{"tc exec bpf debug": {lines: append(lines, "not a trace line"), stderr: "Running! Hang up with ^C!\n"}}}
		out := &syncBuffer{}
		pump := &tracePump{node: "node-1", p: output.NewTraceStreamPrinter(out, output.JSON)}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		var source string
		go func() {
			var err error
			source, err = streamTrace(ctx, ex, traceNode, pump, io.Discard)
			done <- err
		}()
		// Events arrive while the command still runs: wait for every line, then press Ctrl-C.
		deadline := time.Now().Add(10 * time.Second)
		for strings.Count(out.String(), "\n") < len(lines) && time.Now().Before(deadline) {
			time.Sleep(5 * time.Millisecond)
		}
		time.Sleep(20 * time.Millisecond) // the strange line
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("%s: Ctrl-C is a clean stop, got %v", f, err)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("%s: the trace did not stop on cancel", f)
		}
		if source != "tc exec bpf debug" || strings.Count(out.String(), "\n") != len(lines) {
			t.Errorf("%s: source %q, output:\n%s", f, source, out.String())
		}
		if pump.tally.Shown != len(lines) || pump.tally.Unparsable != 1 || len(ex.stopped) != 1 {
			t.Errorf("%s: tally %+v, stopped %v", f, pump.tally, ex.stopped)
		}
	}
}

func TestStreamTraceCountAndFilter(t *testing.T) {
	ex := &traceExec{answers: map[string]traceAnswer{"tc exec bpf debug": {lines: fixtureLines(t, traceFixtures[2])}}}
	var out bytes.Buffer
	pump := &tracePump{node: "node-1", limit: 2, filter: annotate.TraceFilter{Results: []string{"ALLOW"}},
		p: output.NewTraceStreamPrinter(&out, output.Table)}
	if _, err := streamTrace(context.Background(), ex, traceNode, pump, io.Discard); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 3 || !strings.Contains(lines[1], "ens5") || !strings.Contains(lines[2], "bpfout.cali") || len(ex.stopped) != 1 {
		t.Errorf("stopped %v, table:\n%s", ex.stopped, out.String())
	}
	if pump.tally.Shown != 2 || pump.tally.Filtered != 2 {
		t.Errorf("tally %+v", pump.tally)
	}
	s := pump.summary(1500*time.Millisecond, "tc exec bpf debug")
	if s != "trace of node node-1 (tc exec bpf debug) ended after 1.5s: 2 events shown, 2 events filtered out, 0 lines not understood" {
		t.Errorf("summary %q", s)
	}
}

// Without tc the trace pipe is read directly, from the first tracefs that exists.
func TestStreamTraceFallsBackToTheTracePipe(t *testing.T) {
	lines := fixtureLines(t, traceFixtures[0])
	ex := &traceExec{answers: map[string]traceAnswer{
		"cat /sys/kernel/tracing/trace_pipe":       {stderr: "cat: /sys/kernel/tracing/trace_pipe: No such file or directory\n", exit: 1},
		"cat /sys/kernel/debug/tracing/trace_pipe": {lines: lines},
	}}
	var out, notes bytes.Buffer
	pump := &tracePump{node: "node-1", limit: len(lines), p: output.NewTraceStreamPrinter(&out, output.JSON)}
	source, err := streamTrace(context.Background(), ex, traceNode, pump, &notes)
	if err != nil || source != "cat /sys/kernel/debug/tracing/trace_pipe" || pump.tally.Shown != len(lines) {
		t.Fatalf("source %q, err %v, tally %+v", source, err, pump.tally)
	}
	if got := strings.Join(ex.ran, "|"); got != "tc exec bpf debug|cat /sys/kernel/tracing/trace_pipe|cat /sys/kernel/debug/tracing/trace_pipe" {
		t.Errorf("ran %s", got)
	}
	if n := notes.String(); !strings.Contains(n, `cannot use "tc exec bpf debug" (exec: "tc": executable file not found in $PATH)`) ||
		!strings.Contains(n, "No such file or directory); reading the trace with \"cat /sys/kernel/debug/tracing/trace_pipe\"") {
		t.Errorf("notes:\n%s", n)
	}

	// Nothing at all: one error that names the node, the pod, every attempt and the fix.
	ex = &traceExec{answers: map[string]traceAnswer{
		"tc exec bpf debug":                        {stderr: "Running! Hang up with ^C!\n\ntracefs not mounted?\n", exit: 255},
		"cat /sys/kernel/tracing/trace_pipe":       {stderr: "cat: /sys/kernel/tracing/trace_pipe: No such file or directory\n", exit: 1},
		"cat /sys/kernel/debug/tracing/trace_pipe": {stderr: "cat: /sys/kernel/debug/tracing/trace_pipe: No such file or directory\n", exit: 1},
	}}
	_, err = streamTrace(context.Background(), ex, traceNode, &tracePump{node: "node-1", p: output.NewTraceStreamPrinter(io.Discard, output.JSON)}, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "node node-1 (pod calico-system/calico-node-abcde)") ||
		!strings.Contains(err.Error(), "tc exec bpf debug: tracefs not mounted?") || !strings.Contains(err.Error(), "mount -t tracefs") {
		t.Errorf("err %v", err)
	}
}

// A stream that breaks or ends is an error, not a fallback and not a clean stop.
func TestStreamTraceEndingByItselfIsAnError(t *testing.T) {
	lines := fixtureLines(t, traceFixtures[1])
	broken := errors.New("connection reset by peer")
	for name, a := range map[string]traceAnswer{
		"broken": {lines: lines, err: broken},
		"ended":  {lines: lines, end: true},
	} {
		ex := &traceExec{answers: map[string]traceAnswer{"tc exec bpf debug": a}}
		pump := &tracePump{node: "node-1", p: output.NewTraceStreamPrinter(io.Discard, output.JSON)}
		_, err := streamTrace(context.Background(), ex, traceNode, pump, io.Discard)
		if err == nil || !strings.Contains(err.Error(), "node-1") || len(ex.ran) != 1 || pump.tally.Shown != len(lines) {
			t.Errorf("%s: err %v, ran %v, tally %+v", name, err, ex.ran, pump.tally)
		}
		if name == "broken" && !errors.Is(err, broken) {
			t.Errorf("broken: %v does not wrap the stream's error", err)
		}
	}
}

func TestTracePumpVerboseShowsStrangeLines(t *testing.T) {
	var errOut bytes.Buffer
	pump := &tracePump{node: "n1", verbose: &errOut, p: output.NewTraceStreamPrinter(io.Discard, output.JSON)}
	if err := pump.run(strings.NewReader("garbage \x1b[31mred\n[001] 99.5: 0: eth0---I: hi\n")); err != nil {
		t.Fatal(err)
	}
	if got := errOut.String(); got != "trace: node n1: line 1 is not a trace event: garbage ^[[31mred\n" {
		t.Errorf("verbose %q", got)
	}
	if pump.tally.Shown != 1 || pump.tally.Unparsable != 1 || pump.tally.Lines != 2 {
		t.Errorf("tally %+v", pump.tally)
	}
}

// syncBuffer is written by the trace's goroutine and read by the test's.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
