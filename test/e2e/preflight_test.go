//go:build e2e

package e2e

import (
	"context"
	"encoding/json"
	"net"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/calico-ebpf/kubectl-calico-ebpf/pkg/calico"
)

// preflightReport is preflight -o json.
type preflightReport struct {
	Flavour   string `json:"flavour"`
	Namespace string `json:"namespace"`
	Nodes     []struct {
		Node   string            `json:"node"`
		Checks []preflightResult `json:"checks"`
	} `json:"nodes"`
	Cluster []preflightResult `json:"cluster"`
	Summary struct {
		OK, Warn, Fail, Skip int
	} `json:"summary"`
}

type preflightResult struct {
	Check  string `json:"check"`
	Status string `json:"status"`
	Reason string `json:"reason"`
	Seen   string `json:"seen"`
	Action string `json:"action"`
}

func runPreflight(t *testing.T, args ...string) (preflightReport, result) {
	t.Helper()
	r := kubectl(t, append([]string{"calico-ebpf", "preflight", "-o", "json", "--timeout", "20s"}, args...)...)
	var rep preflightReport
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatalf("preflight -o json: %v\n%s\n%s", err, r.stdout, r.stderr)
	}
	return rep, r
}

func (r preflightReport) node(name, check string) (preflightResult, bool) {
	for _, n := range r.Nodes {
		if n.Node != name {
			continue
		}
		for _, c := range n.Checks {
			if c.Check == check {
				return c, true
			}
		}
	}
	return preflightResult{}, false
}

func (r preflightReport) cluster(check string) preflightResult {
	for _, c := range r.Cluster {
		if c.Check == check {
			return c
		}
	}
	return preflightResult{}
}

// TestPreflightCleanCluster: the test bed's cluster is ready for eBPF: recent kernels (one of
// them RHEL 9's), bpffs and cgroup2 in every calico-node pod, one API server endpoint, kube-proxy
// in iptables mode and unmanaged, operator v1.42.3 with host ports supported. Every check is OK
// and the exit status is 0, with one expected exception: the e2e cluster runs mixed Calico
// versions (as in the middle of an upgrade), so the operator stand-in may keep TigeraStatus
// calico Progressing, which is tigera-status WARN "not Available". With --strict that WARN, and
// only that, makes the exit status 1.
func TestPreflightCleanCluster(t *testing.T) {
	rep, r := runPreflight(t)
	if r.code != 0 {
		t.Errorf("clean cluster: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	if rep.Flavour != string(calico.FlavourOperator) || rep.Namespace != calico.OperatorNamespace {
		t.Errorf("install %s in %s", rep.Flavour, rep.Namespace)
	}
	if len(rep.Nodes) != len(e2eVersions) {
		t.Errorf("%d nodes reported, want %d", len(rep.Nodes), len(e2eVersions))
	}
	for _, n := range rep.Nodes {
		for _, c := range n.Checks {
			if c.Status != "OK" {
				t.Errorf("node %s %s: %s %s (%s)", n.Node, c.Check, c.Status, c.Reason, c.Seen)
			}
		}
	}
	expectedWarn := false
	for _, c := range rep.Cluster {
		switch {
		case c.Status == "OK":
		case c.Check == "tigera-status" && c.Status == "WARN" && c.Reason == "not Available":
			expectedWarn = true
			t.Logf("expected: %s %s (%s)", c.Check, c.Status, c.Seen)
		default:
			t.Errorf("%s: %s %s (%s)", c.Check, c.Status, c.Reason, c.Seen)
		}
	}
	if c := rep.cluster("operator"); !strings.Contains(c.Reason, "bpfNetworkBootstrap, kubeProxyManagement") {
		t.Errorf("operator features: %+v", c)
	}
	if _, strict := runPreflight(t, "--strict"); (strict.code == 1) != expectedWarn {
		t.Errorf("--strict: exit %d with expected WARN %v\n%s", strict.code, expectedWarn, strict.stderr)
	}
	table := kubectl(t, "calico-ebpf", "preflight")
	for _, want := range []string{"Calico install: operator (calico-node in calico-system)", "NODE", "KERNEL", "OS/ARCH", "BPFFS", "CGROUPV2",
		"CHECK", "STATUS", "DETAIL", "kube-proxy-mode", "iptables", "0 FAIL"} {
		if !strings.Contains(table.stdout, want) {
			t.Errorf("table lacks %q:\n%s", want, table.stdout)
		}
	}
	if table.code != 0 {
		t.Errorf("clean table: exit %d\n%s\n%s", table.code, table.stdout, table.stderr)
	}
}

// TestPreflightReportsEachProblem: kube-proxy in IPVS mode and claimed by the addon manager,
// three API server endpoints and a node with an old kernel. preflight names each one, with what
// to do, and exits 1; everything is put back afterwards.
func TestPreflightReportsEachProblem(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cleanup := func(what string, restore func(context.Context) error) {
		t.Cleanup(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			if err := restore(ctx); err != nil {
				t.Errorf("restore %s: %v", what, err)
			}
		})
	}

	restore, err := cluster.SetKubeProxyMode(ctx, "ipvs")
	if err != nil {
		t.Fatal(err)
	}
	cleanup("kube-proxy mode", restore)
	if restore, err = cluster.LabelKubeProxy(ctx, "addonmanager.kubernetes.io/mode", "Reconcile"); err != nil {
		t.Fatal(err)
	}
	cleanup("kube-proxy label", restore)

	eps, err := cluster.APIServerEndpoints(ctx)
	if err != nil || len(eps) != 1 {
		t.Fatalf("API server endpoints %v: %v", eps, err)
	}
	_, port, _ := net.SplitHostPort(eps[0])
	if restore, err = cluster.AddAPIServerEndpoints(ctx, mustPort(t, port), "10.255.0.2", "10.255.0.3"); err != nil {
		t.Fatal(err)
	}
	cleanup("API server endpoints", restore)

	const oldNode, oldKernel = "old-kernel-1", "4.15.0-213-generic"
	if err := cluster.AddNode(ctx, oldNode, "linux"); err != nil {
		t.Fatal(err)
	}
	cleanup("node "+oldNode, func(ctx context.Context) error { return cluster.RemoveNode(ctx, oldNode) })
	if err := cluster.SetNodeKernelOS(ctx, oldNode, oldKernel, "Ubuntu 18.04.6 LTS"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, ctx, "calico-node on "+oldNode, func() bool {
		pods, err := cluster.Kube.CoreV1().Pods(calico.OperatorNamespace).List(ctx, metav1.ListOptions{LabelSelector: calico.NodeSelector, FieldSelector: "spec.nodeName=" + oldNode})
		return err == nil && len(pods.Items) == 1 && pods.Items[0].Status.Phase == "Running"
	})

	rep, r := runPreflight(t)
	if r.code != 1 {
		t.Errorf("exit %d, want 1\n%s", r.code, r.stderr)
	}
	if c, ok := rep.node(oldNode, "KERNEL"); !ok || c.Status != "FAIL" || !strings.Contains(c.Reason, oldKernel) || c.Action == "" {
		t.Errorf("old kernel: %+v (found %v)", c, ok)
	}
	for _, n := range rep.Nodes {
		if c, _ := rep.node(n.Node, "KERNEL"); n.Node != oldNode && c.Status != "OK" {
			t.Errorf("node %s kernel: %+v", n.Node, c)
		}
	}
	if c := rep.cluster("api-server"); c.Status != "WARN" || !strings.Contains(c.Reason, "3 endpoints") || !strings.Contains(c.Action, "--api-server") {
		// The test bed's operator (v1.42.3) has bpfNetworkBootstrap, which takes every endpoint: WARN, not FAIL.
		t.Errorf("api-server: %+v", c)
	}
	if c := rep.cluster("kube-proxy-mode"); c.Status != "FAIL" || !strings.Contains(c.Reason, "ipvs") || !strings.Contains(c.Action, "ipvsadm -C") {
		t.Errorf("kube-proxy-mode: %+v", c)
	}
	if c := rep.cluster("kube-proxy-manager"); c.Status != "WARN" || !strings.Contains(c.Reason, "addon manager (Reconcile)") {
		t.Errorf("kube-proxy-manager: %+v", c)
	}
	if rep.Summary.Fail != 2 {
		t.Errorf("summary %+v, want 2 FAIL (kernel, kube-proxy mode)", rep.Summary)
	}

	table := kubectl(t, "calico-ebpf", "preflight")
	for _, want := range []string{
		"FAIL " + oldKernel + " < 5.3.0",
		"[FAIL] node " + oldNode + " KERNEL",
		"[WARN] api-server: 3 endpoints",
		"[FAIL] kube-proxy-mode: ipvs: needs cleanup first", "ipvsadm -C",
		"[WARN] kube-proxy-manager: managed by the addon manager (Reconcile)",
	} {
		if !strings.Contains(table.stdout, want) {
			t.Errorf("table lacks %q:\n%s", want, table.stdout)
		}
	}
	if table.code != 1 || !strings.Contains(table.stderr, "preflight: 2 checks failed") {
		t.Errorf("table: exit %d, stderr %q", table.code, table.stderr)
	}

	// A load balancer given with --api-server settles the endpoints question.
	rep, _ = runPreflight(t, "--api-server", "api.example.internal:6443")
	if c := rep.cluster("api-server"); c.Status != "OK" || !strings.Contains(c.Reason, "api.example.internal:6443") {
		t.Errorf("api-server with --api-server: %+v", c)
	}
}

func mustPort(t *testing.T, s string) int32 {
	t.Helper()
	var p int32
	for _, c := range s {
		if c < '0' || c > '9' {
			t.Fatalf("port %q", s)
		}
		p = p*10 + int32(c-'0')
	}
	return p
}
