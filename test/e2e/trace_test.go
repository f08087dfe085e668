//go:build e2e

package e2e

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/calico-ebpf/kubectl-calico-ebpf/pkg/calico"
	"github.com/calico-ebpf/kubectl-calico-ebpf/pkg/model"
	"github.com/calico-ebpf/kubectl-calico-ebpf/pkg/parse"
	"github.com/calico-ebpf/kubectl-calico-ebpf/test/fakes/render"
	"github.com/calico-ebpf/kubectl-calico-ebpf/test/testbed"
)

// liveTrace is a running `kubectl calico-ebpf trace`, read line by line as it prints.
type liveTrace struct {
	cmd    *exec.Cmd
	lines  chan string
	stderr *lockedBuffer
	done   chan struct{}
	code   int
}

func startTrace(t *testing.T, args ...string) *liveTrace {
	t.Helper()
	cmd := exec.Command("kubectl", append([]string{"calico-ebpf", "trace"}, args...)...)
	cmd.Env = baseEnv()
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	lt := &liveTrace{cmd: cmd, lines: make(chan string, 1000), stderr: &lockedBuffer{}, done: make(chan struct{})}
	cmd.Stderr = lt.stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			lt.lines <- sc.Text()
		}
		close(lt.lines)
		err := cmd.Wait()
		lt.code = 0
		var exitErr *exec.ExitError
		if errors.As(err, &exitErr) {
			lt.code = exitErr.ExitCode()
		}
		close(lt.done)
	}()
	t.Cleanup(func() {
		select {
		case <-lt.done:
		default:
			_ = cmd.Process.Kill()
			<-lt.done
		}
	})
	return lt
}

// next returns the next stdout line as soon as it is printed.
func (lt *liveTrace) next(t *testing.T) string {
	t.Helper()
	select {
	case l, ok := <-lt.lines:
		if !ok {
			<-lt.done
			t.Fatalf("trace ended (exit %d) while a line was expected; stderr:\n%s", lt.code, lt.stderr)
		}
		return l
	case <-time.After(30 * time.Second):
		t.Fatalf("no line in 30s; stderr:\n%s", lt.stderr)
	}
	return ""
}

// interrupt is Ctrl-C: kubectl execs the plugin in its own process, which gets the signal.
func (lt *liveTrace) interrupt(t *testing.T) {
	t.Helper()
	if err := lt.cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	lt.wait(t, 10*time.Second)
}

func (lt *liveTrace) wait(t *testing.T, d time.Duration) {
	t.Helper()
	select {
	case <-lt.done:
	case <-time.After(d):
		t.Fatalf("trace still running %s later; stderr:\n%s", d, lt.stderr)
	}
}

// expectedTrace parses the trace pipe the node's fakes replay.
func expectedTrace(t *testing.T, version string) []model.TraceEvent {
	t.Helper()
	path, err := render.TraceFixture(cluster.Paths.FixturesDir(), version)
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var evs []model.TraceEvent
	if _, err := parse.Trace(f, parse.Options{}, func(ev model.TraceEvent) error { evs = append(evs, ev); return nil }); err != nil {
		t.Fatal(err)
	}
	return evs
}

// checkEvent compares one NDJSON line with the event the fixture holds.
func checkEvent(t *testing.T, node, line string, want model.TraceEvent) {
	t.Helper()
	var got model.TraceEvent
	var meta struct{ Node string }
	if err := json.Unmarshal([]byte(line), &got); err != nil {
		t.Fatalf("not JSON (%v): %s", err, line)
	}
	_ = json.Unmarshal([]byte(line), &meta)
	if meta.Node != node || !reflect.DeepEqual(got, want) {
		t.Errorf("event of %s:\n got %s\nwant %+v", node, line, want)
	}
}

// tracePids lists the trace readers the node's fakes have started.
func tracePids(t *testing.T, node string) map[int]bool {
	t.Helper()
	dir, err := cluster.NodeDataDir(context.Background(), node)
	if err != nil {
		t.Fatal(err)
	}
	entries, _ := os.ReadDir(testbed.TracePidsDir(dir))
	pids := map[int]bool{}
	for _, e := range entries {
		if pid, err := strconv.Atoi(e.Name()); err == nil {
			pids[pid] = true
		}
	}
	return pids
}

// waitRemoteGone waits until the trace readers started since before are gone: the remote end
// of a stopped trace must not keep running on the node.
func waitRemoteGone(t *testing.T, node string, before map[int]bool) {
	t.Helper()
	var started []int
	for pid := range tracePids(t, node) {
		if !before[pid] {
			started = append(started, pid)
		}
	}
	if len(started) == 0 {
		t.Fatalf("no trace reader was started on %s", node)
	}
	deadline := time.Now().Add(10 * time.Second)
	for _, pid := range started {
		for alive(pid) {
			if time.Now().After(deadline) {
				t.Fatalf("trace reader %d on %s still runs after the trace stopped", pid, node)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
}

// alive reports whether pid runs (a zombie has ended; its parent just has not reaped it).
func alive(pid int) bool {
	if syscall.Kill(pid, 0) != nil {
		return false
	}
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	fields := strings.Fields(string(stat[bytes.LastIndexByte(stat, ')')+1:]))
	return len(fields) > 0 && fields[0] != "Z"
}

// Every generation of trace lines streams from its node, each event as the fixture holds
// it; Ctrl-C ends the trace with exit 0 and a summary, and the remote reader is gone.
func TestTraceStreamsEveryGeneration(t *testing.T) {
	waitWired(t)
	for i, version := range e2eVersions {
		node := fmt.Sprintf("node-%d", i+1)
		t.Run(node+"-"+version, func(t *testing.T) {
			t.Parallel()
			want := expectedTrace(t, version)
			before := tracePids(t, node)
			lt := startTrace(t, "--node", node, "-o", "json")
			for _, ev := range want {
				checkEvent(t, node, lt.next(t), ev)
			}
			lt.interrupt(t)
			errOut := lt.stderr.String()
			if lt.code != 0 || !strings.Contains(errOut, "trace of node "+node+" (tc exec bpf debug) ended after ") ||
				!strings.Contains(errOut, " not understood") {
				t.Errorf("exit %d, stderr:\n%s", lt.code, errOut)
			}
			if strings.Contains(errOut, "error:") {
				t.Errorf("Ctrl-C is not an error:\n%s", errOut)
			}
			waitRemoteGone(t, node, before)
		})
	}
}

// Filters keep the matching events only; --count stops the trace by itself; a live table is
// printed row by row.
func TestTraceFiltersCountAndTable(t *testing.T) {
	waitWired(t)
	before := tracePids(t, "node-2")
	lt := startTrace(t, "--node", "node-2", "--iface", "cali*", "--direction", "egress", "--count", "2", "-o", "json")
	want := expectedTrace(t, "v3.29.7")
	checkEvent(t, "node-2", lt.next(t), want[3])
	checkEvent(t, "node-2", lt.next(t), want[4])
	lt.wait(t, 10*time.Second)
	if lt.code != 0 || !strings.Contains(lt.stderr.String(), "2 events shown") {
		t.Errorf("--count 2: exit %d, stderr:\n%s", lt.code, lt.stderr)
	}
	if extra, ok := <-lt.lines; ok {
		t.Errorf("a line after --count: %q", extra)
	}
	waitRemoteGone(t, "node-2", before)

	lt = startTrace(t, "--node", "node-4", "--result", "deny", "-o", "wide")
	header, row := lt.next(t), lt.next(t)
	lt.interrupt(t)
	if !strings.HasPrefix(header, "TIME ") || !strings.HasSuffix(header, "MESSAGE") || !strings.Contains(row, "cali0f1e2d3c4b5") ||
		!strings.Contains(row, "DENY (2)") || !strings.Contains(row, "IPv6") || lt.code != 0 {
		t.Errorf("exit %d, table:\n%s\n%s\nstderr:\n%s", lt.code, header, row, lt.stderr)
	}
}

// Without tc the trace pipe is read directly, wherever tracefs is; without tracefs the error
// says so and names the node and pod.
func TestTraceWithoutTC(t *testing.T) {
	ctx := context.Background()
	t.Cleanup(func() { _ = cluster.SetNodeTraceSources(ctx, "node-3", "", "") })
	if err := cluster.SetNodeTraceSources(ctx, "node-3", "absent", "/sys/kernel/debug/tracing"); err != nil {
		t.Fatal(err)
	}
	before := tracePids(t, "node-3")
	lt := startTrace(t, "--node", "node-3", "--count", "3", "-o", "json")
	for _, ev := range expectedTrace(t, "v3.32.1")[:3] {
		checkEvent(t, "node-3", lt.next(t), ev)
	}
	lt.wait(t, 10*time.Second)
	errOut := lt.stderr.String()
	if lt.code != 0 || !strings.Contains(errOut, `cannot use "tc exec bpf debug"`) ||
		!strings.Contains(errOut, "(cat /sys/kernel/debug/tracing/trace_pipe) ended after") {
		t.Errorf("exit %d, stderr:\n%s", lt.code, errOut)
	}
	waitRemoteGone(t, "node-3", before)

	if err := cluster.SetNodeTraceSources(ctx, "node-3", "absent", "none"); err != nil {
		t.Fatal(err)
	}
	r := kubectl(t, "calico-ebpf", "trace", "--node", "node-3")
	if r.code != 1 || r.stdout != "" || !strings.Contains(r.stderr, "error: trace node node-3 (pod calico-system/calico-node-") ||
		!strings.Contains(r.stderr, "no way to read the BPF trace") || !strings.Contains(r.stderr, "mount -t tracefs") {
		t.Errorf("exit %d, stdout %q, stderr:\n%s", r.code, r.stdout, r.stderr)
	}
}

func TestTraceNodeWithoutCalicoNode(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	t.Cleanup(func() { removeNodes(t, map[string]string{"win-trace": ""}) })
	if err := cluster.AddNode(ctx, "win-trace", "windows"); err != nil {
		t.Fatal(err)
	}
	r := kubectl(t, "calico-ebpf", "trace", "--node", "win-trace")
	if r.code != 1 || !strings.Contains(r.stderr, "error: trace node win-trace: no calico-node pod runs on it") {
		t.Errorf("exit %d, stderr:\n%s", r.code, r.stderr)
	}
	r = kubectl(t, "calico-ebpf", "trace", "--node", "no-such-node")
	if r.code != 1 || !strings.Contains(r.stderr, "no-such-node") {
		t.Errorf("exit %d, stderr:\n%s", r.code, r.stderr)
	}
}

// lockedBuffer is the trace's stderr, written by exec's copier and read by the test.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// bpfLogLevel reads FelixConfiguration default's bpfLogLevel ("" when unset).
func bpfLogLevel(t *testing.T) string {
	t.Helper()
	obj, err := cluster.Dynamic.Resource(calico.FelixConfigurationV1GVR).Get(context.Background(), calico.DefaultName, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	level, _, _ := unstructured.NestedString(obj.Object, "spec", "bpfLogLevel")
	return level
}

// Without Debug the trace warns and says how to switch it on; --debug switches it on for
// the trace and back after Ctrl-C.
func TestTraceDebugSwitch(t *testing.T) {
	before := bpfLogLevel(t)
	if strings.EqualFold(before, "Debug") {
		t.Fatalf("bpfLogLevel is already Debug: a test before this one left it on")
	}
	lt := startTrace(t, "--node", "node-2", "--count", "1", "-o", "json")
	lt.next(t)
	lt.wait(t, 10*time.Second)
	if errOut := lt.stderr.String(); !strings.Contains(errOut, "warning: bpfLogLevel is ") || !strings.Contains(errOut, "rerun with --debug") ||
		!strings.Contains(errOut, "kubectl calico-ebpf debug on") {
		t.Errorf("no warning about bpfLogLevel %q:\n%s", before, errOut)
	}

	lt = startTrace(t, "--node", "node-2", "--debug", "-o", "json")
	lt.next(t)
	if got := bpfLogLevel(t); got != "Debug" {
		t.Errorf("bpfLogLevel during the trace: %q", got)
	}
	lt.interrupt(t)
	if got := bpfLogLevel(t); got != before || lt.code != 0 {
		t.Errorf("after Ctrl-C: exit %d, bpfLogLevel %q, want %q back; stderr:\n%s", lt.code, got, before, lt.stderr)
	}
	if errOut := lt.stderr.String(); !strings.Contains(errOut, "bpfLogLevel is Debug for this trace") || strings.Contains(errOut, "warning:") {
		t.Errorf("stderr:\n%s", errOut)
	}
}

// waitWired waits until every calico-node pod (new ones from an earlier test's rollout
// included) is wired to the fakes, so that the trace execs reach them.
func waitWired(t *testing.T) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := cluster.WaitWired(ctx); err != nil {
		t.Fatalf("calico-node pods not wired: %v", err)
	}
}
