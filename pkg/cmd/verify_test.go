package cmd

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/calico-ebpf/kubectl-calico-ebpf/pkg/kube"
	"github.com/calico-ebpf/kubectl-calico-ebpf/pkg/model"
	"github.com/calico-ebpf/kubectl-calico-ebpf/pkg/verify"
)

// fakeFacts returns one canned round of facts per Gather call; the last repeats.
type fakeFacts struct {
	rounds [][]verify.NodeFacts
	calls  int
	sel    kube.NodeSelection
}

func (f *fakeFacts) Gather(_ context.Context, sel kube.NodeSelection) (verify.ClusterFacts, []verify.NodeFacts, []string, error) {
	f.sel = sel
	i := min(f.calls, len(f.rounds)-1)
	f.calls++
	on := true
	return verify.ClusterFacts{Flavour: "operator", Namespace: "calico-system", Installation: true, LinuxDataplane: "BPF", BPFEnabled: &on}, f.rounds[i], nil, nil
}

func healthyNode(name string) verify.NodeFacts {
	return verify.NodeFacts{
		Node: name, Kernel: "6.8.0-49-generic", OSImage: "Ubuntu 24.04.1 LTS",
		Pod:       &verify.PodFacts{Namespace: "calico-system", Name: "calico-node-" + name, Version: "v3.29.7", Phase: "Running", Ready: true},
		KubeProxy: verify.Probe[[]string]{Done: true},
		Log: verify.Probe[[]model.FelixLogFact]{Done: true, Value: []model.FelixLogFact{
			{Kind: model.FactBPFEnabled, Message: "BPF enabled, starting BPF endpoint manager and map manager."},
		}},
		Qdiscs:  verify.Probe[[]model.Qdisc]{Done: true, Value: []model.Qdisc{{Kind: "clsact", Dev: "eth0"}}},
		IfState: verify.Probe[[]model.IfState]{Done: true},
		Mounts:  verify.Probe[[]verify.Mount]{Done: true, Value: []verify.Mount{{Source: "bpffs", Target: "/sys/fs/bpf", Type: "bpf"}}},
	}
}

func withKubeProxy(n verify.NodeFacts) verify.NodeFacts {
	n.KubeProxy.Value = []string{"kube-system/kube-proxy-x"}
	return n
}

func withoutBPFFS(n verify.NodeFacts) verify.NodeFacts {
	n.Mounts.Value = nil
	return n
}

func runVerify(t *testing.T, src *fakeFacts, set func(*VerifyOptions)) (string, string, int) {
	t.Helper()
	streams, _, out, errOut := genericiooptions.NewTestIOStreams()
	o := &VerifyOptions{IOStreams: streams, source: src, Timeout: time.Minute, Interval: time.Millisecond}
	if set != nil {
		set(o)
	}
	code := 0
	err := o.Complete()
	if err == nil {
		err = o.Run(context.Background())
	}
	if err != nil {
		errOut.WriteString("error: " + err.Error() + "\n")
		code = 1
		var ec exitCoder
		if errors.As(err, &ec) {
			code = ec.ExitCode()
		}
	}
	return out.String(), errOut.String(), code
}

func TestVerifyAllOK(t *testing.T) {
	src := &fakeFacts{rounds: [][]verify.NodeFacts{{healthyNode("n1"), healthyNode("n2")}}}
	out, errOut, code := runVerify(t, src, nil)
	if code != 0 || errOut != "" {
		t.Fatalf("exit %d, stderr %q\n%s", code, errOut, out)
	}
	if !src.sel.All {
		t.Errorf("no selection should mean every node, got %+v", src.sel)
	}
	for _, want := range []string{"operator install", "Installation linuxDataplane=BPF", "NODE", "PROGRAMS", "KUBE-PROXY", "n1", "OK ready"} {
		if !strings.Contains(out, want) {
			t.Errorf("missing %q in:\n%s", want, out)
		}
	}
	if strings.Contains(out, "Details:") {
		t.Errorf("details for an all-OK run:\n%s", out)
	}
}

func TestVerifyWarnAndFail(t *testing.T) {
	warnOnly := &fakeFacts{rounds: [][]verify.NodeFacts{{healthyNode("n1"), withKubeProxy(healthyNode("n2"))}}}
	out, _, code := runVerify(t, warnOnly, nil)
	if code != 0 || !strings.Contains(out, "WARN running: kube-system/kube-proxy-x") || !strings.Contains(out, "Details:\nn2 KUBE-PROXY WARN") {
		t.Fatalf("warn: exit %d\n%s", code, out)
	}
	_, errOut, code := runVerify(t, warnOnly, func(o *VerifyOptions) { o.Strict = true })
	if code != 1 || !strings.Contains(errOut, "1 of 2 nodes failed or warned (--strict): n2") {
		t.Fatalf("strict: exit %d, stderr %q", code, errOut)
	}
	failing := &fakeFacts{rounds: [][]verify.NodeFacts{{withoutBPFFS(healthyNode("n1")), healthyNode("n2")}}}
	out, errOut, code = runVerify(t, failing, nil)
	if code != 1 || !strings.Contains(errOut, "1 of 2 nodes failed: n1") || !strings.Contains(out, "n1 BPFFS FAIL: not mounted\n  seen: ") {
		t.Fatalf("fail: exit %d, stderr %q\n%s", code, errOut, out)
	}
}

func TestVerifyJSON(t *testing.T) {
	src := &fakeFacts{rounds: [][]verify.NodeFacts{{withoutBPFFS(healthyNode("n1"))}}}
	out, _, code := runVerify(t, src, func(o *VerifyOptions) { o.Output = "json" })
	if code != 1 {
		t.Fatalf("exit %d", code)
	}
	var doc struct {
		Flavour string `json:"flavour"`
		Status  string `json:"status"`
		Nodes   []struct {
			Node   string `json:"node"`
			Status string `json:"status"`
			Checks []struct {
				Check, Status, Reason, Seen, Action string
			} `json:"checks"`
		} `json:"nodes"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if doc.Flavour != "operator" || doc.Status != "FAIL" || len(doc.Nodes) != 1 || doc.Nodes[0].Status != "FAIL" || len(doc.Nodes[0].Checks) != len(verify.Checks) {
		t.Fatalf("%+v", doc)
	}
	if c := doc.Nodes[0].Checks[4]; c.Check != "bpffs" || c.Status != "FAIL" || c.Seen == "" || c.Action == "" {
		t.Errorf("bpffs check: %+v", c)
	}
}

func TestVerifyWaitPassesOnceHealthy(t *testing.T) {
	src := &fakeFacts{rounds: [][]verify.NodeFacts{
		{withoutBPFFS(healthyNode("n1")), healthyNode("n2")},
		{withoutBPFFS(healthyNode("n1")), healthyNode("n2")},
		{healthyNode("n1"), healthyNode("n2")},
	}}
	out, errOut, code := runVerify(t, src, func(o *VerifyOptions) { o.Wait = true })
	if code != 0 || src.calls != 3 {
		t.Fatalf("exit %d after %d checks, stderr %q\n%s", code, src.calls, errOut, out)
	}
	if !strings.Contains(errOut, "1 of 2 nodes not passing yet: n1 (bpffs FAIL: not mounted)") || !strings.Contains(errOut, "all 2 nodes pass (check 3)") {
		t.Errorf("progress: %q", errOut)
	}
}

func TestVerifyWaitTimesOut(t *testing.T) {
	src := &fakeFacts{rounds: [][]verify.NodeFacts{{withoutBPFFS(healthyNode("n1")), healthyNode("n2")}}}
	out, errOut, code := runVerify(t, src, func(o *VerifyOptions) {
		o.Wait, o.Timeout, o.Interval = true, 50*time.Millisecond, 10*time.Millisecond
	})
	if code != 1 || !strings.Contains(errOut, "timed out after 50ms waiting for 1 of 2 nodes to pass: n1 (bpffs FAIL: not mounted)") {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
	if !strings.Contains(out, "n1 BPFFS FAIL") {
		t.Errorf("the last report was not printed:\n%s", out)
	}
}

func TestVerifyRejectsWide(t *testing.T) {
	_, errOut, code := runRoot(t, "verify", "-o", "wide")
	if code != 1 || !strings.Contains(errOut, "table, json or yaml") {
		t.Errorf("exit %d, stderr %q", code, errOut)
	}
}
