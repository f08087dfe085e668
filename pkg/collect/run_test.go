package collect

import (
	"context"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/calico-ebpf/kubectl-calico-ebpf/pkg/kube"
	"github.com/calico-ebpf/kubectl-calico-ebpf/pkg/model"
	"github.com/calico-ebpf/kubectl-calico-ebpf/pkg/parse"
)

// fakeExec answers by (node, argv) like a calico-node container would.
type fakeExec struct {
	mu    sync.Mutex
	calls []string
	reply func(node string, argv []string, stdout, stderr io.Writer) error
}

func (f *fakeExec) Exec(ctx context.Context, t kube.Target, argv []string, stdout, stderr io.Writer) error {
	f.mu.Lock()
	f.calls = append(f.calls, t.Node+": "+strings.Join(argv, " "))
	f.mu.Unlock()
	done := make(chan error, 1)
	go func() { done <- f.reply(t.Node, argv, stdout, stderr) }()
	select {
	case err := <-done:
		if err != nil {
			return &kube.ExecError{Target: t, Argv: argv, ExitCode: exitOf(err), Err: err}
		}
		return nil
	case <-ctx.Done():
		return &kube.ExecError{Target: t, Argv: argv, ExitCode: -1, Err: ctx.Err()}
	}
}

type exitErr int

func (e exitErr) Error() string { return fmt.Sprintf("exit status %d", int(e)) }

func exitOf(err error) int {
	var e exitErr
	if errors.As(err, &e) {
		return int(e)
	}
	return -1
}

func calicoPod(node, tag string) *corev1.Pod {
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "calico-node-" + node, Namespace: "calico-system"},
		Spec:       corev1.PodSpec{NodeName: node, Containers: []corev1.Container{{Name: "calico-node", Image: "quay.io/calico/node:" + tag}}},
		Status: corev1.PodStatus{Phase: corev1.PodRunning, ContainerStatuses: []corev1.ContainerStatus{
			{Name: "calico-node", State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{}}},
		}},
	}
}

const routesText = "   10.65.0.0/16: remote in-pool nat-out\n192.168.1.11/32: local host\n"
const routesJSON = `[{"dest":"10.65.0.0/16","flags":["in-pool","nat-out"]},{"dest":"192.168.1.11/32","flags":["local","host"]}]`

func collectRoutes(t *testing.T, ex *fakeExec, nodes []Node, timeout time.Duration) (map[string]int, []Result) {
	t.Helper()
	c := &Collector{Exec: ex, Parallel: 2, Timeout: timeout}
	rows := map[string]int{}
	res := c.Collect(context.Background(), nodes, Request{Kind: parse.KindRoutes}, parse.Options{}, func(node string, _ any) error {
		rows[node]++
		return nil
	})
	return rows, res
}

func TestCollectPicksTheFormPerVersionAndCorrectsIt(t *testing.T) {
	ex := &fakeExec{reply: func(node string, argv []string, stdout, stderr io.Writer) error {
		cmd := strings.Join(argv, " ")
		switch {
		case strings.HasPrefix(cmd, "calico-node") && node == "n-combined":
			fmt.Fprintln(stderr, `exec: "calico-node": executable file not found in $PATH`)
			return exitErr(127)
		case strings.HasSuffix(cmd, "--json") && node == "n-oldjson":
			// The tag claims v3.32 but the tool refuses --json: a custom build.
			fmt.Fprintln(stderr, "Error: unknown flag: --json")
			fmt.Fprintln(stdout, "Usage:\n  calico-bpf routes dump [flags]")
			return exitErr(1)
		case strings.HasSuffix(cmd, "--json"):
			fmt.Fprint(stdout, routesJSON)
		default:
			fmt.Fprint(stdout, routesText)
		}
		return nil
	}}
	nodes := []Node{
		{Name: "n-old", Pod: calicoPod("n-old", "v3.22.5")},
		{Name: "n-json", Pod: calicoPod("n-json", "v3.32.1")},
		{Name: "n-oldjson", Pod: calicoPod("n-oldjson", "v3.32.1")},
		{Name: "n-combined", Pod: calicoPod("n-combined", "latest")},
	}
	rows, res := collectRoutes(t, ex, nodes, time.Minute)
	for _, r := range res {
		if r.Err != nil {
			t.Errorf("node %s: %v", r.Node, r.Err)
		}
		if rows[r.Node] != 2 {
			t.Errorf("node %s gave %d rows, want 2", r.Node, rows[r.Node])
		}
	}
	wantCmd := map[string]string{
		"n-old":      "calico-node -bpf routes dump",
		"n-json":     "calico-node -bpf routes dump --json",
		"n-oldjson":  "calico-node -bpf routes dump",
		"n-combined": "calico component node bpf routes dump --json",
	}
	for _, r := range res {
		if got := strings.Join(r.Command, " "); got != wantCmd[r.Node] {
			t.Errorf("node %s ran %q, want %q", r.Node, got, wantCmd[r.Node])
		}
	}
}

func TestCollectListsEveryBrokenNodeWithItsReason(t *testing.T) {
	ex := &fakeExec{reply: func(node string, argv []string, stdout, stderr io.Writer) error {
		switch node {
		case "hang":
			select {}
		case "garbage":
			fmt.Fprint(stdout, "Segmentation fault (core dumped)\nxyzzy plugh\n")
		case "maperr":
			fmt.Fprintln(stderr, `2026-11-26 10:00:00.000 [ERROR][1] node/routes.go 90: Failed to dump routes map. error=failed to open map`)
		case "cut":
			fmt.Fprint(stdout, "   10.65.0.0/16: remote in-pool nat-out\n192.168.1.11/32: loc")
		default:
			fmt.Fprint(stdout, routesText)
		}
		return nil
	}}
	pending := calicoPod("pending", "v3.29.7")
	pending.Status.Phase = corev1.PodPending
	crash := calicoPod("crash", "v3.29.7")
	crash.Status.ContainerStatuses[0].State = corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "CrashLoopBackOff"}}
	nodes := []Node{
		{Name: "ok", Pod: calicoPod("ok", "v3.29.7")},
		{Name: "nopod"},
		{Name: "pending", Pod: pending},
		{Name: "crash", Pod: crash},
		{Name: "hang", Pod: calicoPod("hang", "v3.29.7")},
		{Name: "garbage", Pod: calicoPod("garbage", "v3.29.7")},
		{Name: "maperr", Pod: calicoPod("maperr", "v3.29.7")},
		{Name: "cut", Pod: calicoPod("cut", "v3.29.7")},
	}
	start := time.Now()
	rows, res := collectRoutes(t, ex, nodes, 300*time.Millisecond)
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("collect took %s; the hanging node should cost one timeout", d)
	}
	want := map[string]Failure{
		"ok": "", "nopod": FailNoPod, "pending": FailPodNotRunning, "crash": FailPodNotRunning,
		"hang": FailTimeout, "garbage": FailUnparsable, "maperr": FailTool, "cut": FailUnparsable,
	}
	for _, r := range res {
		if r.Reason != want[r.Node] {
			t.Errorf("node %s: reason %q (%v), want %q", r.Node, r.Reason, r.Err, want[r.Node])
		}
		if r.Reason != "" && (r.Err == nil || !strings.Contains(r.Err.Error(), r.Node)) {
			t.Errorf("node %s: error %v does not name the node", r.Node, r.Err)
		}
	}
	if rows["ok"] != 2 {
		t.Errorf("the healthy node gave %d rows", rows["ok"])
	}
	if !strings.Contains(res[3].Err.Error(), "CrashLoopBackOff") {
		t.Errorf("crash error = %v", res[3].Err)
	}
}

func TestCollectStopsTheEndlessBlackholeList(t *testing.T) {
	ex := &fakeExec{reply: func(node string, argv []string, stdout, stderr io.Writer) error {
		if _, err := fmt.Fprint(stdout, "10.96.0.10 port 53 proto 17 id 1 count 1 local 1\n\t1:0\t 10.65.0.20:53\n198.51.100.10 port 443 proto 6 id 4 count 4294967295 local 0\n"); err != nil {
			return err
		}
		for i := 0; ; i++ {
			if _, err := fmt.Fprintf(stdout, "\t4:%d\t is missing\n", i); err != nil {
				return err // the reader went away
			}
		}
	}}
	c := &Collector{Exec: ex, Timeout: time.Minute}
	n := 0
	res := c.Collect(context.Background(), []Node{{Name: "old", Pod: calicoPod("old", "v3.22.5")}},
		Request{Kind: parse.KindNAT}, parse.Options{MaxBackends: 1000}, func(string, any) error { n++; return nil })
	if res[0].Err != nil || !res[0].Report.Incomplete {
		t.Fatalf("result = %+v, err %v", res[0].Report, res[0].Err)
	}
	if n == 0 {
		t.Error("no frontends delivered")
	}
}

func TestCollectRetriesABrokenStreamOnce(t *testing.T) {
	calls := map[string]int{}
	var mu sync.Mutex
	ex := &fakeExec{reply: func(node string, argv []string, stdout, stderr io.Writer) error {
		mu.Lock()
		calls[node]++
		n := calls[node]
		mu.Unlock()
		switch {
		case node == "flaky" && n == 1, node == "broken":
			return errors.New("error: closed all streams") // no exit status: the stream broke
		case node == "denied":
			return errors.New(`pods "calico-node-x" is forbidden: User "reader" cannot create resource "pods/exec"`)
		}
		fmt.Fprint(stdout, routesText)
		return nil
	}}
	nodes := []Node{
		{Name: "flaky", Pod: calicoPod("flaky", "v3.29.7")},
		{Name: "broken", Pod: calicoPod("broken", "v3.29.7")},
		{Name: "denied", Pod: calicoPod("denied", "v3.29.7")},
	}
	_, res := collectRoutes(t, ex, nodes, time.Minute)
	if res[0].Err != nil || calls["flaky"] != 2 {
		t.Errorf("flaky node: err %v after %d calls, want success on the retry", res[0].Err, calls["flaky"])
	}
	if res[1].Reason != FailExec || calls["broken"] != 2 {
		t.Errorf("broken node: %q after %d calls, want exec failed after one retry", res[1].Reason, calls["broken"])
	}
	if res[2].Reason != FailExec || calls["denied"] != 1 {
		t.Errorf("denied node: %q after %d calls, want no retry of a refusal", res[2].Reason, calls["denied"])
	}
}

// TestCollectRowsIsCollectTyped: the typed path gives the same rows, per node and in order,
// and the same results as Collect, and refuses a decoder of another kind's rows.
func TestCollectRowsIsCollectTyped(t *testing.T) {
	ex := &fakeExec{reply: func(node string, argv []string, stdout, stderr io.Writer) error {
		if strings.HasSuffix(strings.Join(argv, " "), "--json") {
			fmt.Fprint(stdout, routesJSON)
		} else {
			fmt.Fprint(stdout, routesText)
		}
		return nil
	}}
	nodes := []Node{{Name: "a", Pod: calicoPod("a", "v3.22.5")}, {Name: "b", Pod: calicoPod("b", "v3.32.1")}, {Name: "c"}}
	c := &Collector{Exec: ex, Parallel: 2}
	req := Request{Kind: parse.KindRoutes}
	boxed := map[string][]model.Route{}
	want := c.Collect(context.Background(), nodes, req, parse.Options{}, func(node string, row any) error {
		boxed[node] = append(boxed[node], row.(model.Route))
		return nil
	})
	typed := map[string][]model.Route{}
	got := CollectRows(c, context.Background(), nodes, req, parse.Options{}, parse.Routes, func(node string, r model.Route) error {
		typed[node] = append(typed[node], r)
		return nil
	})
	if !reflect.DeepEqual(typed, boxed) || len(typed["a"]) != 2 || len(typed["b"]) != 2 {
		t.Errorf("typed rows %v, boxed %v", typed, boxed)
	}
	for i := range got {
		got[i].Duration, want[i].Duration = 0, 0
		if got[i].Node != want[i].Node || got[i].Form != want[i].Form || got[i].Report.Rows != want[i].Report.Rows || (got[i].Err == nil) != (want[i].Err == nil) {
			t.Errorf("result %d: typed %+v, boxed %+v", i, got[i], want[i])
		}
	}
	defer func() {
		if recover() == nil {
			t.Error("a decoder of conntrack rows for a routes dump was not refused")
		}
	}()
	CollectRows(c, context.Background(), nodes, req, parse.Options{}, parse.Conntrack, func(string, model.ConntrackEntry) error { return nil })
}
