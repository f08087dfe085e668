package fakenode

import (
	"bufio"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

const traceFixture = testdata + "/handwritten/trace-v3.29-kernel5.15.txt"

func traceNode(t *testing.T, n node) node {
	t.Helper()
	n.dataDir = t.TempDir()
	b, err := os.ReadFile(traceFixture)
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(n.dataDir, "trace-pipe.stdout.txt"), string(b))
	return n
}

// The trace pipe is replayed line by line and pass after pass, and the reader dies once its
// stdout is closed, as tc does when the exec stream goes away; its pid file says which
// process to look for.
func TestTracePipeReplaysUntilStdoutCloses(t *testing.T) {
	for _, c := range []struct {
		n    node
		argv []string
	}{
		{node{version: "v3.29.7"}, []string{"tc", "exec", "bpf", "debug"}},
		{node{version: "v3.29.7", tc: "absent"}, []string{"cat", "/sys/kernel/tracing/trace_pipe"}},
		{node{version: "v3.22.5", tc: "absent", tracefs: DebugfsTrace}, []string{"cat", "/sys/kernel/debug/tracing/trace_pipe"}},
	} {
		n := traceNode(t, c.n)
		want, _ := os.ReadFile(traceFixture)
		wantLines := strings.Split(strings.TrimSuffix(string(want), "\n"), "\n")
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		cmd := exec.CommandContext(ctx, filepath.Join(binDir, c.argv[0]), c.argv[1:]...)
		cmd.Env = n.environ()
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		r := bufio.NewReader(out)
		first, _ := r.ReadString('\n')
		firstAt := time.Since(start)
		for i := 1; i < 2*len(wantLines); i++ { // two passes
			l, err := r.ReadString('\n')
			if err != nil {
				t.Fatalf("%v: line %d: %v", c.argv, i+1, err)
			}
			if w := wantLines[i%len(wantLines)] + "\n"; l != w {
				t.Fatalf("%v: line %d %q, want %q", c.argv, i+1, l, w)
			}
		}
		if first != wantLines[0]+"\n" || time.Since(start) < firstAt+time.Duration(len(wantLines))*traceLineGap {
			t.Errorf("%v: first line %q after %s, two passes after %s: not paced", c.argv, first, firstAt, time.Since(start))
		}
		pidFile := filepath.Join(n.dataDir, TracePidsDir, strconv.Itoa(cmd.Process.Pid))
		if b, err := os.ReadFile(pidFile); err != nil || strings.TrimSpace(string(b)) != strings.Join(c.argv, " ") {
			t.Errorf("%v: pid file %q: %v", c.argv, b, err)
		}
		out.Close() // what the kubelet's side does when the exec stream closes
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case err := <-done:
			ws, _ := cmd.ProcessState.Sys().(syscall.WaitStatus)
			if err == nil || !ws.Signaled() || ws.Signal() != syscall.SIGPIPE {
				t.Errorf("%v: ended with %v, want SIGPIPE", c.argv, err)
			}
		case <-time.After(5 * time.Second):
			t.Errorf("%v: still running 5s after its stdout closed", c.argv)
			cmd.Process.Kill()
			<-done
		}
		cancel()
	}
}

func TestTraceSourcesPerNode(t *testing.T) {
	n := traceNode(t, node{version: "v3.29.7", tc: "absent", tracefs: DebugfsTrace})
	n.run(t, "tc", "exec", "bpf", "debug").expect(t, "no tc", 127, "", "exec: \"tc\": executable file not found in $PATH\n")
	n.run(t, "cat", "/sys/kernel/tracing/trace_pipe").expect(t, "no tracefs there", 1, "",
		"cat: /sys/kernel/tracing/trace_pipe: No such file or directory\n")
	if got := n.run(t, "mount", "-t", "tracefs"); got.stdout != "tracefs on /sys/kernel/debug/tracing type tracefs (rw,nosuid,nodev,noexec,relatime)\n" {
		t.Errorf("mount -t tracefs: %+v", got)
	}
	none := traceNode(t, node{version: "v3.32.1", tracefs: "none"})
	none.run(t, "tc", "exec", "bpf", "debug").expect(t, "no tracefs", 255, "", "tracefs not mounted?\n")
	if got := (node{version: "v3.29.7", tc: "maybe"}).run(t, "tc", "exec", "bpf", "debug"); got.exit != exitMisconfigured {
		t.Errorf("FAKE_TC=maybe: %+v", got)
	}
}
