package cmd

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/kubectl/pkg/util/term"

	"github.com/calico-ebpf/kubectl-calico-ebpf/pkg/calico"
	"github.com/calico-ebpf/kubectl-calico-ebpf/pkg/kube"
	"github.com/calico-ebpf/kubectl-calico-ebpf/pkg/output"
)

// traceSources are the ways to read a node's trace pipe, in the order they are tried. tc is
// in every calico-node image and finds tracefs wherever it is mounted; without it the pipe is
// read directly: /sys/kernel/tracing is where tracefs lives since Linux 4.1, and
// /sys/kernel/debug/tracing is where older kernels (and debugfs-only setups) expose it. The
// argv are fixed words: no shell, and nothing that writes to the node.
var traceSources = [][]string{
	{"tc", "exec", "bpf", "debug"},
	{"cat", "/sys/kernel/tracing/trace_pipe"},
	{"cat", "/sys/kernel/debug/tracing/trace_pipe"},
}

// traceExecWait bounds the wait for an exec to end once it was cancelled; the trace's own end
// does not depend on it.
const traceExecWait = 5 * time.Second

// runLive follows one node's trace until Ctrl-C, --count, or the stream's end.
func (o *TraceOptions) runLive(ctx context.Context) error {
	clients, transport, err := execClients(o.configFlags, o.ExecTransport)
	if err != nil {
		return err
	}
	target, err := traceTarget(ctx, clients, o.Node, o.CalicoNamespace)
	if err != nil {
		return err
	}
	restore, err := o.ensureDebug(ctx, clients)
	if err != nil {
		return err
	}
	if restore != nil {
		// Ctrl-C has cancelled ctx by then: the restore gets its own time.
		defer func() {
			rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
			defer cancel()
			if err := restore(rctx); err != nil {
				fmt.Fprintf(o.ErrOut, "error: trace: switch bpfLogLevel back after the trace of node %s: %v\n", o.Node, err)
			}
		}()
	}
	pump := &tracePump{node: o.Node, filter: o.filter, limit: o.Count, p: output.NewTraceStreamPrinter(o.Out, o.format)}
	if o.Verbose {
		pump.verbose = o.ErrOut
	}
	if term.IsTerminal(o.ErrOut) {
		fmt.Fprintf(o.ErrOut, "Tracing %s; Ctrl-C stops.\n", target)
	}
	start := time.Now()
	ex := &kube.PodExecutor{Config: clients.Config, Client: clients.Kube, Transport: transport}
	source, err := streamTrace(ctx, ex, target, pump, o.ErrOut)
	fmt.Fprintln(o.ErrOut, pump.summary(time.Since(start), source))
	return err
}

// traceTarget finds the calico-node container of the node; errors name the node.
func traceTarget(ctx context.Context, clients *kube.Clients, node, namespace string) (kube.Target, error) {
	inst, err := kube.DetectCalico(ctx, clients.Kube, clients.Dynamic, namespace)
	if err != nil {
		return kube.Target{}, err
	}
	if _, err := kube.SelectNodes(ctx, clients.Kube, kube.NodeSelection{Names: []string{node}}); err != nil {
		return kube.Target{}, err
	}
	pods, err := kube.CalicoNodePods(ctx, clients.Kube, inst.Namespace)
	if err != nil {
		return kube.Target{}, err
	}
	pod := pods[node]
	if pod == nil {
		return kube.Target{}, fmt.Errorf("trace node %s: no calico-node pod runs on it (namespace %s, label %s)", node, inst.Namespace, calico.NodeSelector)
	}
	if pod.Status.Phase != corev1.PodRunning || pod.DeletionTimestamp != nil {
		return kube.Target{}, fmt.Errorf("trace node %s: pod %s/%s is not running (phase %s)", node, pod.Namespace, pod.Name, pod.Status.Phase)
	}
	return kube.Target{Node: node, Namespace: pod.Namespace, Pod: pod.Name, Container: calico.NodeContainer}, nil
}

// streamTrace reads the node's trace pipe through the first source the node has, into pump.
// It returns the source's command line, and nil when the trace was stopped (Ctrl-C, which
// cancels ctx, or --count); a stream that ends by itself is an error, since a trace pipe never
// does. notes gets a line when a fallback is taken.
func streamTrace(ctx context.Context, ex kube.Executor, target kube.Target, pump *tracePump, notes io.Writer) (string, error) {
	var tried []string
	for i, argv := range traceSources {
		source := strings.Join(argv, " ")
		linesBefore := pump.tally.Lines
		pumpErr, execErr, stderr := streamOnce(ctx, ex, target, argv, pump)
		switch {
		case isStop(pumpErr) || ctx.Err() != nil:
			return source, nil
		case pumpErr != nil && (execErr == nil || !errors.Is(pumpErr, execErr)):
			return source, fmt.Errorf("trace %s: %w", target, pumpErr) // the printer failed
		case execErr == nil:
			return source, fmt.Errorf("trace %s: %q ended by itself after %d lines", target, source, pump.tally.Lines)
		case pump.tally.Lines == linesBefore && traceUnavailable(execErr, stderr):
			tried = append(tried, fmt.Sprintf("%s: %s", source, unavailableReason(execErr, stderr)))
			if i+1 < len(traceSources) {
				fmt.Fprintf(notes, "trace: node %s: cannot use %q (%s); reading the trace with %q instead\n",
					target.Node, source, unavailableReason(execErr, stderr), strings.Join(traceSources[i+1], " "))
			}
			continue
		}
		return source, execErr
	}
	return "", fmt.Errorf("trace %s: no way to read the BPF trace: %s; tracefs is not mounted in the calico-node container "+
		"(mount it there with `mount -t tracefs tracefs /sys/kernel/tracing`, or run `tc exec bpf debug` on the node itself)",
		target, strings.Join(tried, "; "))
}

// streamOnce runs one source into pump until one of them stops. pumpErr is the decoder's
// error (the exec's error when the stream broke), execErr the exec's.
func streamOnce(ctx context.Context, ex kube.Executor, target kube.Target, argv []string, pump *tracePump) (pumpErr, execErr error, stderr string) {
	execCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	pr, pw := io.Pipe()
	errBuf := &tailWriter{max: 4096}
	done := make(chan error, 1)
	go func() {
		err := ex.Exec(execCtx, target, argv, pw, errBuf)
		pw.CloseWithError(err) // nil: EOF
		done <- err
	}()
	// Ctrl-C ends the read at once, even if the exec is slow to notice its context.
	stopRead := context.AfterFunc(execCtx, func() { pr.CloseWithError(context.Cause(execCtx)) })
	defer stopRead()
	pumpErr = pump.run(pr)
	// Stopping here closes the exec stream; the kubelet then ends the remote command (tc dies of
	// SIGPIPE at its next write at the latest).
	cancel()
	pr.CloseWithError(errTraceStopped)
	select {
	case execErr = <-done:
	case <-time.After(traceExecWait):
		execErr = fmt.Errorf("the exec of %q did not end within %s of being stopped", strings.Join(argv, " "), traceExecWait)
	}
	return pumpErr, execErr, errBuf.String()
}

var errTraceStopped = errors.New("stopped reading the trace")

// traceUnavailable recognises a node where a source does not exist: no such binary (exit 127,
// or the runtime's "executable file not found"), no such file, or tc finding no tracefs.
func traceUnavailable(execErr error, stderr string) bool {
	var ee *kube.ExecError
	if errors.As(execErr, &ee) && ee.ExitCode == 127 {
		return true
	}
	text := strings.ToLower(stderr + "\n" + execErr.Error())
	for _, s := range []string{"executable file not found", "no such file or directory", "tracefs not mounted"} {
		if strings.Contains(text, s) {
			return true
		}
	}
	return strings.Contains(strings.ToLower(stderr), "not found")
}

// unavailableReason is the tool's last word on stderr (not tc's "Running!" banner), or the
// exec's error.
func unavailableReason(execErr error, stderr string) string {
	lines := strings.Split(strings.TrimSpace(stderr), "\n")
	for i := len(lines) - 1; i >= 0; i-- {
		if l := strings.TrimSpace(lines[i]); l != "" && !strings.HasPrefix(l, "Running!") {
			return l
		}
	}
	return execErr.Error()
}

// tailWriter keeps the last max bytes of a command's stderr, for messages. The exec writes it
// from its own goroutine, which may outlive streamOnce when the exec ignores its cancellation.
type tailWriter struct {
	mu  sync.Mutex
	max int
	buf []byte
}

func (t *tailWriter) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	if len(t.buf) > t.max {
		t.buf = append(t.buf[:0], t.buf[len(t.buf)-t.max:]...)
	}
	return len(p), nil
}

func (t *tailWriter) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(t.buf)
}
