package collect

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/calico-ebpf/kubectl-calico-ebpf/pkg/calico"
	"github.com/calico-ebpf/kubectl-calico-ebpf/pkg/kube"
	"github.com/calico-ebpf/kubectl-calico-ebpf/pkg/parse"
)

// Failure says why a node gave no result; the dump commands list failed nodes with it.
type Failure string

const (
	FailNoPod         Failure = "no calico-node pod"
	FailPodNotRunning Failure = "pod not running"
	FailExec          Failure = "exec failed"
	FailTimeout       Failure = "timed out"
	FailTool          Failure = "tool error"
	FailUnparsable    Failure = "unparsable output"
	FailUnsupported   Failure = "unsupported"
)

// Node is one node to collect from, with its calico-node pod (nil when it has none).
type Node struct {
	Name string
	Pod  *corev1.Pod
}

// Result is what one node gave.
type Result struct {
	Node     string        `json:"node"`
	Pod      string        `json:"pod,omitempty"`
	Command  []string      `json:"command,omitempty"`
	Form     string        `json:"form,omitempty"`
	Report   parse.Report  `json:"report"`
	Duration time.Duration `json:"-"`
	Reason   Failure       `json:"reason,omitempty"`
	Err      error         `json:"-"`
}

// Failed reports whether the node gave no usable result.
func (r Result) Failed() bool { return r.Err != nil }

// Sink receives the rows of every node; the Collector serialises the calls.
type Sink func(node string, row any) error

// Collector runs one dump on many nodes in parallel, with a bound and a per-node timeout. It
// learns each node's dump form from its image tag and corrects it from the tool's answers
// (`unknown flag` for --json, a missing binary for calico-node vs calico), remembering the
// correction for the rest of the run.
type Collector struct {
	Exec     kube.Executor
	Parallel int
	Timeout  time.Duration
	// Progress, when set, is called after each node with how many are done.
	Progress func(done, total int)

	mu    sync.Mutex
	forms map[string]Form
}

// maxStderr bounds how much of a command's stderr is kept for classification.
const maxStderr = 1 << 20

// Collect runs req on every node and streams the rows into sink. Results come back in the
// order of nodes; failures of some nodes never stop the others.
func (c *Collector) Collect(ctx context.Context, nodes []Node, req Request, opts parse.Options, sink Sink) []Result {
	var sinkMu sync.Mutex
	return c.collect(ctx, nodes, req, opts, func(r io.Reader, opts parse.Options, node string) (parse.Report, error) {
		return parse.Decode(req.Kind, r, opts, func(row any) error {
			sinkMu.Lock()
			defer sinkMu.Unlock()
			return sink(node, row)
		})
	})
}

// CollectRows is Collect for a kind whose rows are T (parse.RowType of req.Kind), decoded by
// dec, the kind's decoder (parse.Conntrack for model.ConntrackEntry): each row reaches sink
// as it is, not boxed in an interface. On a big conntrack dump that boxing was an allocation
// of 400 bytes per entry, half a million of them, and a tenth of the run's CPU.
func CollectRows[T any](c *Collector, ctx context.Context, nodes []Node, req Request, opts parse.Options, dec parse.Decoder[T], sink func(node string, row T) error) []Result {
	if _, ok := parse.RowType(req.Kind).(T); !ok {
		panic(fmt.Sprintf("collect: %s rows are %T, not %T", req.Kind, parse.RowType(req.Kind), *new(T)))
	}
	var sinkMu sync.Mutex
	return c.collect(ctx, nodes, req, opts, func(r io.Reader, opts parse.Options, node string) (parse.Report, error) {
		return dec(r, opts, func(row T) error {
			sinkMu.Lock()
			defer sinkMu.Unlock()
			return sink(node, row)
		})
	})
}

// decodeFunc decodes one node's stream, handing its rows to the caller's (serialised) sink.
type decodeFunc func(r io.Reader, opts parse.Options, node string) (parse.Report, error)

func (c *Collector) collect(ctx context.Context, nodes []Node, req Request, opts parse.Options, decode decodeFunc) []Result {
	parallel := c.Parallel
	if parallel <= 0 {
		parallel = 10
	}
	results := make([]Result, len(nodes))
	sem := make(chan struct{}, parallel)
	var wg sync.WaitGroup
	var doneMu sync.Mutex
	done := 0
	for i, n := range nodes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				results[i] = Result{Node: n.Name, Reason: FailTimeout, Err: fmt.Errorf("node %s: %w", n.Name, ctx.Err())}
				return
			}
			defer func() { <-sem }()
			results[i] = c.collectNode(ctx, n, req, opts, decode)
			if c.Progress != nil {
				doneMu.Lock()
				done++
				c.Progress(done, len(nodes))
				doneMu.Unlock()
			}
		}()
	}
	wg.Wait()
	return results
}

func (c *Collector) collectNode(ctx context.Context, n Node, req Request, opts parse.Options, decode decodeFunc) Result {
	start := time.Now()
	res := Result{Node: n.Name}
	defer func() { res.Duration = time.Since(start) }()
	if n.Pod == nil {
		res.Reason, res.Err = FailNoPod, fmt.Errorf("node %s: no calico-node pod runs on it", n.Name)
		return res
	}
	res.Pod = n.Pod.Namespace + "/" + n.Pod.Name
	if why := notRunning(n.Pod); why != "" {
		res.Reason, res.Err = FailPodNotRunning, fmt.Errorf("node %s: pod %s is not running: %s", n.Name, res.Pod, why)
		return res
	}
	target := kube.Target{Node: n.Name, Namespace: n.Pod.Namespace, Pod: n.Pod.Name, Container: calico.NodeContainer}
	form := c.form(n)
	retried := false
	// At most one correction of each kind (--json refused, the other binary) and one retry of
	// a broken stream.
	for attempt := 0; attempt < 4; attempt++ {
		argv, format, err := Argv(form, req)
		if err != nil {
			res.Reason, res.Err = FailUnsupported, fmt.Errorf("node %s: %w", n.Name, err)
			return res
		}
		res.Command, res.Form = argv, form.String()
		o := opts
		o.Format = format
		out := c.run(ctx, target, argv, o, decode)
		switch {
		case out.jsonRefused && form.JSON:
			form = form.withoutJSON()
			c.remember(n.Name, form)
			continue
		case out.noBinary && attempt < 2:
			form = form.otherBinary()
			c.remember(n.Name, form)
			continue
		case transient(out) && !retried && ctx.Err() == nil:
			// The exec stream broke before anything was read (API server or kubelet
			// proxies do this under load); a dump is a read, so run it once more.
			retried = true
			continue
		}
		res.Report, res.Reason, res.Err = out.report, out.reason, out.err
		if res.Err != nil {
			res.Err = fmt.Errorf("dump %s on node %s (pod %s): %w", req.Kind, n.Name, res.Pod, res.Err)
		}
		return res
	}
	return res
}

// form returns the node's dump form: learned earlier in this run, or from its image tag.
func (c *Collector) form(n Node) Form {
	c.mu.Lock()
	defer c.mu.Unlock()
	if f, ok := c.forms[n.Name]; ok {
		return f
	}
	return FormFor(calico.ParseVersion(calico.ImageTag(kube.PodImage(n.Pod, calico.NodeContainer))))
}

func (c *Collector) remember(node string, f Form) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.forms == nil {
		c.forms = map[string]Form{}
	}
	c.forms[node] = f
}

// notRunning explains why a pod cannot be exec'd into, or returns "".
func notRunning(p *corev1.Pod) string {
	if p.DeletionTimestamp != nil {
		return "it is being deleted"
	}
	if p.Status.Phase != corev1.PodRunning {
		return "phase " + string(p.Status.Phase)
	}
	for _, cs := range p.Status.ContainerStatuses {
		if cs.Name == calico.NodeContainer && cs.State.Running == nil {
			if w := cs.State.Waiting; w != nil {
				return "container " + cs.Name + " is waiting: " + w.Reason
			}
			return "container " + cs.Name + " is not running"
		}
	}
	return ""
}

// outcome is one attempt's classification.
type outcome struct {
	report      parse.Report
	reason      Failure
	err         error
	jsonRefused bool
	noBinary    bool
}

// run execs argv and decodes its stdout as it streams in. When the decoder stops early (a
// tool error, or the endless blackhole list of old versions) the command is cancelled.
func (c *Collector) run(ctx context.Context, target kube.Target, argv []string, opts parse.Options, decode decodeFunc) outcome {
	execCtx, cancel := context.WithCancel(ctx)
	if c.Timeout > 0 {
		execCtx, cancel = context.WithTimeout(ctx, c.Timeout)
	}
	defer cancel()
	pr, pw := newBufPipe(pipeStart, pipeMax)
	stderr := &boundedBuffer{max: maxStderr}
	execErr := make(chan error, 1)
	go func() {
		err := c.Exec.Exec(execCtx, target, argv, pw, stderr)
		pw.CloseWithError(err) // nil closes with EOF
		execErr <- err
	}()
	report, parseErr := decode(pr, opts, target.Node)
	switch {
	case report.Incomplete, parseErr != nil && !errors.Is(parseErr, parse.ErrToolError):
		// The rest is useless or endless: stop the command.
		cancel()
	default:
		// Let the command finish (a tool error is short) so that its stderr and exit
		// status, which say what went wrong, arrive whole.
		_, _ = io.Copy(io.Discard, pr)
	}
	_ = pr.CloseWithError(errStopped) // unblock the exec's writes if we stopped reading
	err := <-execErr
	return classify(execCtx, ctx, report, parseErr, err, stderr.Bytes())
}

var errStopped = errors.New("stopped reading the dump")

func classify(execCtx, parent context.Context, rep parse.Report, parseErr, execErr error, stderr []byte) outcome {
	o := outcome{report: rep}
	text := string(stderr)
	if execErr != nil {
		o.jsonRefused = mentionsUnknownJSONFlag(text) || mentionsUnknownJSONFlag(execErr.Error())
		o.noBinary = mentionsMissingBinary(text) || mentionsMissingBinary(execErr.Error())
	}
	switch {
	case execCtx.Err() == context.DeadlineExceeded && parent.Err() == nil && !rep.Incomplete:
		o.reason, o.err = FailTimeout, fmt.Errorf("no answer before the timeout: %w", context.DeadlineExceeded)
	case parent.Err() != nil:
		o.reason, o.err = FailTimeout, parent.Err()
	case execErr != nil && !errors.Is(execErr, errStopped) && !rep.Incomplete:
		var ee *kube.ExecError
		if errors.As(execErr, &ee) && ee.ExitCode >= 0 {
			o.reason, o.err = FailTool, execErr
		} else {
			o.reason, o.err = FailExec, execErr
		}
	case parse.StderrFailure(stderr) != nil:
		o.reason, o.err = FailTool, parse.StderrFailure(stderr)
	case parseErr != nil && errors.Is(parseErr, parse.ErrToolError):
		o.reason, o.err = FailTool, parseErr
	case parseErr != nil:
		o.reason, o.err = FailUnparsable, parseErr
	case rep.Truncated:
		o.reason, o.err = FailUnparsable, errors.New("the output ends in the middle of a line: the stream was cut")
	case rep.Rows == 0 && len(rep.Warnings) > 0:
		w := rep.Warnings[0]
		o.reason, o.err = FailUnparsable, fmt.Errorf("no line of the output was understood (line %d: %q)", w.Line, w.Text)
	}
	return o
}

// transient reports a failure worth one more try: the exec itself failed (not the command),
// nothing reached the caller, and it was not a refusal that would only repeat.
func transient(o outcome) bool {
	return o.reason == FailExec && o.report.Rows == 0 && kube.IsTransient(o.err)
}

func mentionsUnknownJSONFlag(s string) bool {
	return strings.Contains(s, "unknown flag: --json") || strings.Contains(s, "unknown shorthand flag: 'j'")
}

func mentionsMissingBinary(s string) bool {
	return strings.Contains(s, "executable file not found") || strings.Contains(s, "no such file or directory: unknown")
}

// boundedBuffer keeps the first max bytes of a stream; the rest is counted and dropped.
type boundedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
	max int
}

func (b *boundedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if room := b.max - b.buf.Len(); room > 0 {
		b.buf.Write(p[:min(room, len(p))])
	}
	return len(p), nil
}

func (b *boundedBuffer) Bytes() []byte {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Bytes()
}
