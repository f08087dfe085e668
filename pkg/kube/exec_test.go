package kube

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	utilexec "k8s.io/client-go/util/exec"
)

func TestRemoteExitCode(t *testing.T) {
	cases := []struct {
		err  error
		want int
	}{
		{utilexec.CodeExitError{Err: errors.New("command terminated with non-zero exit code"), Code: 3}, 3},
		{fmt.Errorf("wrapped: %w", utilexec.CodeExitError{Err: errors.New("x"), Code: 127}), 127},
		{errors.New("Internal error occurred: error executing command in container: cmd wait: calico-node -bpf nat dump -j: exit status 1"), 1},
		{errors.New("error dialing backend: dial tcp 10.0.0.1:10250: connect: connection refused"), -1},
	}
	for _, c := range cases {
		if got := remoteExitCode(c.err); got != c.want {
			t.Errorf("remoteExitCode(%v) = %d, want %d", c.err, got, c.want)
		}
	}
}

func TestExecErrorNamesNodePodAndCommand(t *testing.T) {
	err := &ExecError{
		Target:   Target{Node: "node-2", Namespace: "calico-system", Pod: "calico-node-abc", Container: "calico-node"},
		Argv:     []string{"calico-node", "-bpf", "nat", "dump", "-j"},
		ExitCode: 1,
		Stderr:   "Error: unknown shorthand flag: 'j' in -j\n\n",
		Err:      errors.New("exit status 1"),
	}
	want := `run "calico-node -bpf nat dump -j" on node node-2 (pod calico-system/calico-node-abc): exit status 1: Error: unknown shorthand flag: 'j' in -j`
	if err.Error() != want {
		t.Errorf("got  %s\nwant %s", err.Error(), want)
	}
	timeout := &ExecError{Target: err.Target, Argv: err.Argv, ExitCode: -1, Err: errors.New("context deadline exceeded")}
	if !strings.Contains(timeout.Error(), "context deadline exceeded") {
		t.Errorf("timeout error = %s", timeout.Error())
	}
}

func TestTailBufferKeepsTheEnd(t *testing.T) {
	b := &tailBuffer{max: 8}
	_, _ = b.Write([]byte("0123456789"))
	_, _ = b.Write([]byte("ab"))
	if b.String() != "456789ab" {
		t.Errorf("tail = %q", b.String())
	}
}

func TestParseTransport(t *testing.T) {
	for in, want := range map[string]Transport{"": TransportAuto, "auto": TransportAuto, "websocket": TransportWebSocket, "spdy": TransportSPDY} {
		if got, err := ParseTransport(in); err != nil || got != want {
			t.Errorf("ParseTransport(%q) = %v, %v", in, got, err)
		}
	}
	if _, err := ParseTransport("http3"); err == nil {
		t.Error("ParseTransport(http3) succeeded")
	}
}

func TestIsTransient(t *testing.T) {
	target := Target{Node: "n1", Namespace: "calico-system", Pod: "calico-node-x"}
	broken := &ExecError{Target: target, ExitCode: -1, Err: errors.New("error: closed all streams")}
	exited := &ExecError{Target: target, ExitCode: 1, Err: errors.New("exit status 1")}
	denied := &ExecError{Target: target, ExitCode: -1, Err: errors.New(`pods "calico-node-x" is forbidden: cannot create resource "pods/exec"`)}
	cancelled := &ExecError{Target: target, ExitCode: -1, Err: fmt.Errorf("stream: %w", context.Canceled)}
	for err, want := range map[error]bool{broken: true, exited: false, denied: false, cancelled: false, errors.New("plain"): false} {
		if got := IsTransient(err); got != want {
			t.Errorf("IsTransient(%v) = %v, want %v", err, got, want)
		}
	}
}
