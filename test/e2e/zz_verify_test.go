//go:build e2e

package e2e

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/calico-ebpf/kubectl-calico-ebpf/pkg/calico"
	"github.com/calico-ebpf/kubectl-calico-ebpf/test/testbed"
)

// verifyDoc is `verify -o json`.
type verifyDoc struct {
	Flavour   string `json:"flavour"`
	Requested string `json:"requested"`
	Status    string `json:"status"`
	Nodes     []struct {
		Node   string `json:"node"`
		Status string `json:"status"`
		Attach string `json:"attachMode"`
		Checks []struct {
			Check, Status, Reason, Seen, Action string
		} `json:"checks"`
	} `json:"nodes"`
}

// seen returns what verify saw for a node's check, for failure messages.
func (d verifyDoc) seen(node, check string) string {
	for _, n := range d.Nodes {
		for _, c := range n.Checks {
			if n.Node == node && c.Check == check {
				return c.Seen
			}
		}
	}
	return ""
}

// cell returns a node's check as "STATUS reason".
func (d verifyDoc) cell(node, check string) string {
	for _, n := range d.Nodes {
		if n.Node != node {
			continue
		}
		for _, c := range n.Checks {
			if c.Check == check {
				if c.Status != "OK" && (c.Seen == "" || c.Action == "") {
					return c.Status + " " + c.Reason + " (NO DETAILS)"
				}
				return c.Status + " " + c.Reason
			}
		}
	}
	return "missing"
}

func verifyJSON(t *testing.T, args ...string) (verifyDoc, result) {
	t.Helper()
	r := kubectl(t, append([]string{"calico-ebpf", "verify", "-o", "json"}, args...)...)
	var d verifyDoc
	if err := json.Unmarshal([]byte(r.stdout), &d); err != nil {
		t.Fatalf("verify %v: exit %d, not JSON (%v):\n%s\n%s", args, r.code, err, r.stdout, r.stderr)
	}
	return d, r
}

// expectCells checks "node check" → a prefix of "STATUS reason".
func expectCells(t *testing.T, d verifyDoc, want map[[2]string]string) {
	t.Helper()
	for k, prefix := range want {
		if got := d.cell(k[0], k[1]); !strings.HasPrefix(got, prefix) {
			t.Errorf("%s %s = %q, want %q…; seen: %s", k[0], k[1], got, prefix, d.seen(k[0], k[1]))
		}
	}
}

// TestVerify runs verify on the Iptables cluster (mixed versions, unless the test bed's own
// rollout test ran first: the zz_ files sort last, this one after it), then switches the Installation to BPF
// (a real rollout: every node ends up on the DaemonSet's v3.33.0), waits with verify --wait,
// and puts one fault per node in two rounds: TC mode, then TCX mode. Everything is undone in
// t.Cleanup, the dataplane last, and that rollout is waited for too.
func TestVerify(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 6*time.Minute)
	defer cancel()
	nodes := []string{"node-1", "node-2", "node-3", "node-4"}

	// 1. The Iptables cluster: every node runs calico-node, nothing asks for eBPF. A test
	// before this one may have left a rollout running: wait until its pods are wired.
	waitRolledOut(t, ctx, false)
	waitFor(t, ctx, "no calico-node pod being replaced", func() bool {
		pods, err := cluster.Kube.CoreV1().Pods(calico.OperatorNamespace).List(ctx, metav1.ListOptions{LabelSelector: calico.NodeSelector})
		if err != nil || len(pods.Items) != len(e2eVersions) {
			return false
		}
		for _, p := range pods.Items {
			if p.DeletionTimestamp != nil || p.Status.Phase != "Running" {
				return false
			}
		}
		return true
	})
	waitFor(t, ctx, "every calico-node pod answering exec", func() bool {
		d, _ := verifyJSON(t, "--all-nodes")
		for _, n := range nodes {
			if !strings.HasPrefix(d.cell(n, "bpffs"), "OK") {
				return false
			}
		}
		return true
	})
	r := kubectl(t, "calico-ebpf", "verify")
	if r.code != 1 || !strings.Contains(r.stdout, "Calico: operator install, calico-node in calico-system") ||
		!strings.Contains(r.stdout, "FAIL linuxDataplane=Iptables") || !strings.Contains(r.stderr, "4 of 4 nodes failed") || !strings.Contains(r.stdout, "Details:") {
		t.Fatalf("verify on Iptables: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	d, _ := verifyJSON(t, "--all-nodes")
	for _, n := range nodes {
		expectCells(t, d, map[[2]string]string{{n, "pod"}: "OK ready", {n, "bpf"}: "FAIL linuxDataplane=Iptables", {n, "kernel"}: "OK", {n, "bpffs"}: "OK", {n, "kube-proxy"}: "WARN running"})
	}

	// 2. The runbook: kube-proxy off, then linuxDataplane BPF, and verify --wait follows the rollout.
	t.Cleanup(func() { restoreIptables(t) })
	if err := cluster.SetKubeProxyNodes(ctx, false); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := cluster.SetKubeProxyNodes(context.Background(), true); err != nil {
			t.Errorf("restore kube-proxy: %v", err)
		}
	})
	setDataplane(t, ctx, "BPF")
	r = kubectl(t, "calico-ebpf", "verify", "--all-nodes", "--wait", "--timeout", "4m", "--interval", "1s")
	if r.code != 0 || !strings.Contains(r.stderr, "all 4 nodes pass") {
		t.Fatalf("verify --wait during the rollout: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	if !strings.Contains(r.stderr, "not passing yet") {
		t.Logf("verify --wait passed at its first check (the rollout was already done?):\n%s", r.stderr)
	}
	waitRolledOut(t, ctx, true)

	// 3. A healthy TCX cluster (v3.33.0 everywhere) passes, strictly.
	d, r = verifyJSON(t, "--all-nodes", "--strict", "--wait", "--timeout", "1m", "--interval", "1s")
	if r.code != 0 || d.Status != "OK" || d.Requested != "Installation linuxDataplane=BPF" {
		t.Fatalf("healthy TCX: exit %d status %s\n%s\n%s", r.code, d.Status, r.stdout, r.stderr)
	}
	for _, n := range nodes {
		expectCells(t, d, map[[2]string]string{{n, "programs"}: "OK tcx: eth0 + ", {n, "felix"}: "OK BPF enabled", {n, "kube-proxy"}: "OK none"})
	}

	// 4. A healthy TC cluster: bpfAttachType TC, every node attaching with tc.
	setAttachType(t, ctx, "TC")
	for _, n := range nodes {
		annotate(t, ctx, n, testbed.AnnotationAttach, "tc")
	}
	d, r = verifyJSON(t, "--all-nodes", "--strict", "--wait", "--timeout", "1m", "--interval", "1s")
	if r.code != 0 {
		t.Fatalf("healthy TC: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	for _, n := range nodes {
		expectCells(t, d, map[[2]string]string{{n, "programs"}: "OK tc: eth0 + "})
	}

	// 5. Faults in TC mode, one per node.
	kernel, err := cluster.NodeKernel(ctx, "node-1")
	if err != nil {
		t.Fatal(err)
	}
	if err := cluster.SetVerifyNodeKernel(ctx, "node-1", "4.19.0-26-amd64"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cluster.SetVerifyNodeKernel(context.Background(), "node-1", kernel) })
	annotate(t, ctx, "node-2", testbed.AnnotationFelixLog, "not-supported")
	annotate(t, ctx, "node-4", testbed.AnnotationVerifyFault, "no-qdisc")
	if err := cluster.SetKubeProxyNodes(ctx, false, "node-3"); err != nil {
		t.Fatal(err)
	}
	d, r = verifyJSON(t, "--all-nodes")
	if r.code != 1 || d.Status != "FAIL" || !strings.Contains(r.stderr, "3 of 4 nodes failed: node-1, node-2, node-4") {
		t.Errorf("TC faults: exit %d status %s\n%s", r.code, d.Status, r.stderr)
	}
	expectCells(t, d, map[[2]string]string{
		{"node-1", "kernel"}:     "FAIL 4.19.0-26-amd64 < 5.3",
		{"node-2", "felix"}:      "FAIL kernel 5.15.0-126-generic not supported",
		{"node-3", "kube-proxy"}: "WARN running: kube-system/kube-proxy-",
		{"node-3", "programs"}:   "OK tc",
		{"node-4", "programs"}:   "FAIL tc: no clsact on eth0",
		{"node-4", "bpffs"}:      "OK",
	})
	// kube-proxy alone is a warning: exit 0, unless --strict.
	if r := kubectl(t, "calico-ebpf", "verify", "--node", "node-3"); r.code != 0 || !strings.Contains(r.stdout, "node-3 KUBE-PROXY WARN") {
		t.Errorf("kube-proxy warning: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if r := kubectl(t, "calico-ebpf", "verify", "--node", "node-3", "--strict"); r.code != 1 {
		t.Errorf("kube-proxy warning with --strict: exit %d\n%s", r.code, r.stderr)
	}
	// --wait gives up with the nodes still failing and why.
	r = kubectl(t, "calico-ebpf", "verify", "--all-nodes", "--wait", "--timeout", "6s", "--interval", "2s")
	if r.code != 1 || !strings.Contains(r.stderr, "timed out after 6s waiting for 3 of 4 nodes to pass: node-1 (kernel FAIL") ||
		!strings.Contains(r.stderr, "node-4 (programs FAIL: tc: no clsact on eth0)") {
		t.Errorf("verify --wait timeout: exit %d\n%s", r.code, r.stderr)
	}

	// 6. Back to TCX, faults in TCX mode.
	if err := cluster.SetVerifyNodeKernel(ctx, "node-1", kernel); err != nil {
		t.Fatal(err)
	}
	if err := cluster.SetKubeProxyNodes(ctx, false); err != nil {
		t.Fatal(err)
	}
	setAttachType(t, ctx, "")
	for _, n := range nodes {
		annotate(t, ctx, n, testbed.AnnotationAttach, "")
	}
	annotate(t, ctx, "node-2", testbed.AnnotationFelixLog, "")
	annotate(t, ctx, "node-4", testbed.AnnotationVerifyFault, "")

	annotate(t, ctx, "node-1", testbed.AnnotationFelixLog, "missing")
	annotate(t, ctx, "node-3", testbed.AnnotationVerifyFault, "ifstate-not-ready")
	if err := cluster.SetNodeBPFFS(ctx, "node-2", "absent"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cluster.SetNodeBPFFS(context.Background(), "node-2", "") })
	if err := cluster.CrashPod(ctx, "node-4", "felix: failed to create BPF map cali_v4_nat_fe3: operation not permitted"); err != nil {
		t.Fatal(err)
	}
	d, r = verifyJSON(t, "--all-nodes")
	if r.code != 1 || !strings.Contains(r.stderr, "3 of 4 nodes failed: node-2, node-3, node-4") {
		t.Errorf("TCX faults: exit %d\n%s", r.code, r.stderr)
	}
	expectCells(t, d, map[[2]string]string{
		{"node-1", "felix"}:    "WARN no BPF line in log",
		{"node-1", "programs"}: "OK tcx",
		{"node-2", "bpffs"}:    "FAIL not mounted",
		{"node-3", "programs"}: "FAIL tcx: bond0,eth0 not ready",
		{"node-4", "pod"}:      "FAIL CrashLoopBackOff: felix: failed to create BPF map",
		{"node-4", "programs"}: "WARN not checked",
	})
	if r := kubectl(t, "calico-ebpf", "verify", "--node", "node-1"); r.code != 0 || !strings.Contains(r.stdout, "node-1 FELIX WARN: no BPF line in log") {
		t.Errorf("missing log line: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if r := kubectl(t, "calico-ebpf", "verify", "--node", "node-1", "--strict"); r.code != 1 {
		t.Errorf("missing log line with --strict: exit %d", r.code)
	}
	annotate(t, ctx, "node-1", testbed.AnnotationFelixLog, "")
	annotate(t, ctx, "node-3", testbed.AnnotationVerifyFault, "")
}

func annotate(t *testing.T, ctx context.Context, node, key, value string) {
	t.Helper()
	if err := cluster.SetNodeAnnotation(ctx, node, key, value); err != nil {
		t.Fatal(err)
	}
	if value != "" {
		t.Cleanup(func() { _ = cluster.SetNodeAnnotation(context.Background(), node, key, "") })
	}
}

func setAttachType(t *testing.T, ctx context.Context, mode string) {
	t.Helper()
	v := any(mode)
	if mode == "" {
		v = nil
	} else {
		t.Cleanup(func() { setAttachType(t, context.Background(), "") })
	}
	patch, _ := json.Marshal(map[string]any{"spec": map[string]any{"bpfAttachType": v}})
	if _, err := cluster.Dynamic.Resource(calico.FelixConfigurationV1GVR).Patch(ctx, calico.DefaultName, types.MergePatchType, patch, metav1.PatchOptions{}); err != nil {
		t.Fatalf("set bpfAttachType %q: %v", mode, err)
	}
}

// restoreIptables switches the Installation back and waits until every calico-node pod runs
// without BPF, so that the tests after this one see a settled cluster.
func restoreIptables(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	setDataplane(t, ctx, "Iptables")
	waitRolledOut(t, ctx, false)
}

// waitRolledOut waits until the calico-node DaemonSet has rolled out and every pod runs with
// FELIX_BPFENABLED as wanted.
func waitRolledOut(t *testing.T, ctx context.Context, bpf bool) {
	t.Helper()
	want := "false"
	if bpf {
		want = "true"
	}
	waitFor(t, ctx, "calico-node rolled out with FELIX_BPFENABLED="+want, func() bool {
		ds, err := cluster.Kube.AppsV1().DaemonSets(calico.OperatorNamespace).Get(ctx, calico.NodeDaemonSet, metav1.GetOptions{})
		if err != nil || !dsDone(ds) {
			return false
		}
		pods, err := cluster.Kube.CoreV1().Pods(calico.OperatorNamespace).List(ctx, metav1.ListOptions{LabelSelector: calico.NodeSelector})
		if err != nil || len(pods.Items) != len(e2eVersions) {
			return false
		}
		for _, p := range pods.Items {
			env := ""
			for _, e := range p.Spec.Containers[0].Env {
				if e.Name == "FELIX_BPFENABLED" {
					env = e.Value
				}
			}
			if p.DeletionTimestamp != nil || env != want {
				return false
			}
		}
		return true
	})
	// The next test execs into the new pods: they must be wired to the fakes first.
	if err := cluster.WaitWired(ctx); err != nil {
		t.Fatalf("calico-node pods not wired after the rollout: %v", err)
	}
}

func dsDone(ds *appsv1.DaemonSet) bool {
	s := ds.Status
	return ds.Generation <= s.ObservedGeneration && s.UpdatedNumberScheduled == s.DesiredNumberScheduled && s.NumberAvailable == s.DesiredNumberScheduled
}
