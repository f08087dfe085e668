package kube

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"regexp"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/remotecommand"
	utilexec "k8s.io/client-go/util/exec"
	"k8s.io/streaming/pkg/httpstream"
)

// Transport selects the exec streaming protocol.
type Transport string

const (
	// TransportAuto is kubectl's behaviour: WebSocket first, SPDY when the upgrade fails, and
	// SPDY only when KUBECTL_REMOTE_COMMAND_WEBSOCKETS=false.
	TransportAuto      Transport = "auto"
	TransportWebSocket Transport = "websocket"
	TransportSPDY      Transport = "spdy"
)

// ParseTransport reads an --exec-transport value.
func ParseTransport(s string) (Transport, error) {
	switch t := Transport(s); t {
	case TransportAuto, TransportWebSocket, TransportSPDY:
		return t, nil
	case "":
		return TransportAuto, nil
	}
	return "", fmt.Errorf("unknown exec transport %q: use auto, websocket or spdy", s)
}

// Target is one container to exec into, with the node it runs on for error messages.
type Target struct {
	Node      string
	Namespace string
	Pod       string
	Container string
}

func (t Target) String() string {
	return fmt.Sprintf("node %s (pod %s/%s)", t.Node, t.Namespace, t.Pod)
}

// Executor runs a command in a container, streaming its stdout and stderr. A command that ran
// and exited non-zero returns an *ExecError carrying the exit code.
type Executor interface {
	Exec(ctx context.Context, target Target, argv []string, stdout, stderr io.Writer) error
}

// ExecError is a remote command that failed: it could not start, its stream broke, or it exited
// non-zero. Its message names the node, the pod and the command.
type ExecError struct {
	Target   Target
	Argv     []string
	ExitCode int // -1 when the command did not run to completion
	Stderr   string
	Err      error
}

func (e *ExecError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "run %q on %s: ", strings.Join(e.Argv, " "), e.Target)
	if e.ExitCode >= 0 {
		fmt.Fprintf(&b, "exit status %d", e.ExitCode)
	} else {
		b.WriteString(e.Err.Error())
	}
	if s := lastLine(e.Stderr); s != "" {
		fmt.Fprintf(&b, ": %s", s)
	}
	return b.String()
}

func (e *ExecError) Unwrap() error { return e.Err }

// PodExecutor is the Executor that goes through the API server's pods/exec subresource. One
// PodExecutor serves a whole run, in parallel: its execs share a TLS session cache.
type PodExecutor struct {
	Config    *rest.Config
	Client    kubernetes.Interface
	Transport Transport

	dialer dialerOnce
}

// Exec implements Executor. No TTY is requested: a TTY would merge stderr into stdout.
func (p *PodExecutor) Exec(ctx context.Context, target Target, argv []string, stdout, stderr io.Writer) error {
	req := p.Client.CoreV1().RESTClient().Post().
		Resource("pods").Namespace(target.Namespace).Name(target.Pod).SubResource("exec").
		VersionedParams(&corev1.PodExecOptions{
			Container: target.Container,
			Command:   argv,
			Stdout:    true,
			Stderr:    true,
		}, scheme.ParameterCodec)

	tail := &tailBuffer{max: 4096}
	var errOut io.Writer = tail
	if stderr != nil {
		errOut = io.MultiWriter(stderr, tail)
	}
	if stdout == nil {
		stdout = io.Discard
	}
	err := p.stream(ctx, req.URL(), stdout, errOut)
	if err == nil {
		return nil
	}
	e := &ExecError{Target: target, Argv: argv, ExitCode: -1, Stderr: tail.String(), Err: err}
	e.ExitCode = remoteExitCode(err)
	if ctxErr := ctx.Err(); ctxErr != nil && e.ExitCode < 0 {
		e.Err = fmt.Errorf("%w (%w)", ctxErr, err)
	}
	return e
}

func (p *PodExecutor) stream(ctx context.Context, u *url.URL, stdout, stderr io.Writer) error {
	d, err := p.dialer.get(p.Config)
	if err != nil {
		return err
	}
	opts := remotecommand.StreamOptions{Stdout: stdout, Stderr: stderr}
	switch p.Transport {
	case TransportSPDY:
		// For a proxy or API server that only handles SPDY.
		return d.spdy(ctx, u, opts)
	case TransportWebSocket:
		err := d.websocket(ctx, u, opts)
		if httpstream.IsUpgradeFailure(err) {
			return fmt.Errorf("websocket exec refused (try --exec-transport=spdy): %w", err)
		}
		return err
	}
	// kubectl's behaviour: WebSocket first with SPDY fallback, and the
	// KUBECTL_REMOTE_COMMAND_WEBSOCKETS=false switch, exactly as `kubectl exec` behaves.
	if websocketsDisabled() {
		return d.spdy(ctx, u, opts)
	}
	err = d.websocket(ctx, u, opts)
	if err != nil && shouldFallBack(err) {
		return d.spdy(ctx, u, opts)
	}
	return err
}

// exitInMessage finds the exit status in runtimes' error text, e.g. "… cmd wait: … exit status 1".
var exitInMessage = regexp.MustCompile(`(?:exit status|exit code|non-zero exit code:?) (\d+)\b`)

// remoteExitCode reads the remote command's exit status from a stream error: the kubelet
// reports it as a structured CodeExitError; some runtimes (kwok, older CRI shims) only put it
// in the message of an internal error. -1 means the command did not finish.
func remoteExitCode(err error) int {
	var exitErr utilexec.ExitError
	if errors.As(err, &exitErr) && exitErr.Exited() {
		return exitErr.ExitStatus()
	}
	if m := exitInMessage.FindStringSubmatch(err.Error()); m != nil {
		if n, convErr := strconv.Atoi(m[1]); convErr == nil {
			return n
		}
	}
	return -1
}

// tailBuffer keeps the last max bytes written, for error messages.
type tailBuffer struct {
	max int
	buf []byte
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.buf = append(t.buf, p...)
	if len(t.buf) > t.max {
		t.buf = append(t.buf[:0], t.buf[len(t.buf)-t.max:]...)
	}
	return len(p), nil
}

func (t *tailBuffer) String() string { return string(t.buf) }

// lastLine returns the last non-blank line of s, the part of a tool's stderr that usually says
// what went wrong.
func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	for i := len(lines) - 1; i >= 0; i-- {
		if l := strings.TrimSpace(lines[i]); l != "" {
			return l
		}
	}
	return ""
}

// IsTransient reports whether an exec failed in a way worth one more try: the stream broke
// or could not be set up (the command's own exit status never arrived), and it was neither a
// refusal that would only repeat nor the caller's own cancellation.
func IsTransient(err error) bool {
	var ee *ExecError
	if !errors.As(err, &ee) || ee.ExitCode >= 0 {
		return false
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	msg := strings.ToLower(err.Error())
	for _, refusal := range []string{"forbidden", "unauthorized", "not found"} {
		if strings.Contains(msg, refusal) {
			return false
		}
	}
	return true
}
