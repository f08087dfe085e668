//go:build e2e

package e2e

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"

	"github.com/calico-ebpf/kubectl-calico-ebpf/pkg/calico"
)

// dumpList is the -o json document of a dump command.
type dumpList struct {
	Kind  string           `json:"kind"`
	Items []map[string]any `json:"items"`
}

func dumpJSON(t *testing.T, args ...string) (dumpList, result) {
	t.Helper()
	r := kubectl(t, append([]string{"calico-ebpf"}, append(args, "-o", "json")...)...)
	var l dumpList
	if r.stdout != "" {
		if err := json.Unmarshal([]byte(r.stdout), &l); err != nil {
			t.Fatalf("%v: not JSON (%v):\n%s\nstderr: %s", args, err, r.stdout, r.stderr)
		}
	}
	return l, r
}

func nodesOf(l dumpList) map[string]int {
	n := map[string]int{}
	for _, it := range l.Items {
		node, _ := it["node"].(string)
		n[node]++
	}
	return n
}

// TestLiveDumpsOnEveryGeneration reads every dump from the four nodes, one per Calico
// generation (v3.22 text, v3.29 text, v3.32 JSON, v3.33 combined binary), and checks each
// healthy node's rows arrive, named with the cluster's real objects.
func TestLiveDumpsOnEveryGeneration(t *testing.T) {
	all := []string{"node-1", "node-2", "node-3", "node-4"}
	for _, kind := range []string{"routes", "nat", "ipsets", "conntrack", "arp", "qdisc"} {
		t.Run(kind, func(t *testing.T) {
			l, r := dumpJSON(t, kind, "--all-nodes")
			if r.code != 0 {
				t.Fatalf("exit %d:\n%s", r.code, r.stderr)
			}
			got := nodesOf(l)
			for _, n := range all {
				if got[n] == 0 {
					t.Errorf("no %s rows from %s (got %v)", kind, n, got)
				}
			}
		})
	}
	// ifstate and counters came with v3.24: the v3.22 node says so and fails the command.
	for _, kind := range []string{"ifstate", "counters"} {
		t.Run(kind, func(t *testing.T) {
			l, r := dumpJSON(t, kind, "--all-nodes")
			got := nodesOf(l)
			if r.code != 1 || got["node-1"] != 0 || got["node-2"] == 0 || got["node-4"] == 0 {
				t.Fatalf("exit %d rows %v\n%s", r.code, got, r.stderr)
			}
			if !strings.Contains(r.stderr, "node-1") || !strings.Contains(r.stderr, "unsupported") || !strings.Contains(r.stderr, "v3.24") {
				t.Errorf("the v3.22 node's failure is not explained:\n%s", r.stderr)
			}
		})
	}
}

func TestLiveRowsAreNamedInKubernetesTerms(t *testing.T) {
	l, r := dumpJSON(t, "routes", "--node", "node-2")
	if r.code != 0 {
		t.Fatalf("routes: exit %d: %s", r.code, r.stderr)
	}
	var owners []string
	for _, it := range l.Items {
		if k, ok := it["kubernetes"].(map[string]any); ok {
			if o, _ := k["owner"].(string); o != "" {
				owners = append(owners, o)
			}
		}
	}
	joined := strings.Join(owners, "\n")
	for _, want := range []string{"pod demo/client-node-2-", "node node-2", "node node-3"} {
		if !strings.Contains(joined, want) {
			t.Errorf("route owners lack %q:\n%s", want, joined)
		}
	}

	r = kubectl(t, "calico-ebpf", "conntrack", "--node", "node-3")
	if r.code != 0 || !strings.Contains(r.stdout, "KUBERNETES") ||
		!strings.Contains(r.stdout, "svc default/kubernetes:https") || !strings.Contains(r.stdout, "pod demo/client-node-3-") {
		t.Errorf("conntrack table (exit %d) does not name pods and Services:\n%s%s", r.code, r.stdout, r.stderr)
	}

	r = kubectl(t, "calico-ebpf", "nat", "--explain", "--node", "node-4")
	if r.code != 0 || !strings.Contains(r.stdout, "in Kubernetes: demo/web:http") || !strings.Contains(r.stdout, "@node-") {
		t.Errorf("nat --explain (exit %d) does not name Services and backends:\n%s%s", r.code, r.stdout, r.stderr)
	}
}

// TestLiveDumpListsBrokenNodes adds one node per way a node can fail and checks that the
// healthy nodes' rows still come, each broken node is listed with its reason, and the exit
// status is 1; and 0 again once they are gone.
func TestLiveDumpListsBrokenNodes(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	broken := map[string]string{
		"broken-hang":    "timed out",
		"broken-garbage": "unparsable output",
		"broken-fail":    "tool error",
		"broken-crash":   "pod not running",
		"win-1":          "no calico-node pod",
	}
	t.Cleanup(func() { removeNodes(t, broken) })
	for name := range broken {
		os := "linux"
		if name == "win-1" {
			os = "windows"
		}
		if err := cluster.AddNode(ctx, name, os); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, ctx, "calico-node on the new linux nodes", func() bool {
		pods, err := cluster.Kube.CoreV1().Pods(calico.OperatorNamespace).List(ctx, metav1.ListOptions{LabelSelector: calico.NodeSelector})
		if err != nil {
			return false
		}
		n := 0
		for _, p := range pods.Items {
			if strings.HasPrefix(p.Spec.NodeName, "broken-") && p.Status.Phase == "Running" {
				n++
			}
		}
		return n == 4
	})
	for node, mode := range map[string]string{"broken-hang": "hang", "broken-garbage": "garbage", "broken-fail": "fail"} {
		if err := cluster.SetNodeFault(ctx, node, mode); err != nil {
			t.Fatal(err)
		}
	}
	if err := cluster.CrashPod(ctx, "broken-crash", "felix: failed to connect to the datastore"); err != nil {
		t.Fatal(err)
	}

	start := time.Now()
	l, r := dumpJSON(t, "routes", "--all-nodes", "--timeout", "5s")
	if r.code != 1 {
		t.Fatalf("exit %d with broken nodes, want 1\n%s", r.code, r.stderr)
	}
	if d := time.Since(start); d > 30*time.Second {
		t.Errorf("took %s: the hanging node should cost one --timeout", d)
	}
	got := nodesOf(l)
	for _, n := range []string{"node-1", "node-2", "node-3", "node-4"} {
		if got[n] == 0 {
			t.Errorf("healthy %s gave no rows while others were broken", n)
		}
	}
	for node, reason := range broken {
		if got[node] != 0 {
			t.Errorf("broken %s gave rows", node)
		}
		line := lineWith(r.stderr, node)
		if !strings.Contains(line, reason) {
			t.Errorf("%s is not listed as %q; stderr:\n%s", node, reason, r.stderr)
		}
	}
	if !strings.Contains(lineWith(r.stderr, "broken-crash"), "CrashLoopBackOff") {
		t.Errorf("the crashing pod's state is not named:\n%s", r.stderr)
	}
	if !strings.Contains(r.stderr, "5 of 9 nodes failed") {
		t.Errorf("no count of failed nodes:\n%s", r.stderr)
	}

	// Only healthy nodes: success.
	_, r = dumpJSON(t, "routes", "--node", "node-1", "--node", "node-4")
	if r.code != 0 {
		t.Errorf("healthy nodes only: exit %d\n%s", r.code, r.stderr)
	}
}

// TestLiveDumpWithoutExecPermission impersonates a user who may read but not exec: every node
// fails with the API server's refusal, named.
func TestLiveDumpWithoutExecPermission(t *testing.T) {
	for _, args := range [][]string{
		{"create", "clusterrole", "e2e-reader", "--verb=get,list,watch", "--resource=nodes,pods,services,endpointslices.discovery.k8s.io,daemonsets.apps,installations.operator.tigera.io"},
		{"create", "clusterrolebinding", "e2e-reader", "--clusterrole=e2e-reader", "--user=e2e-reader"},
	} {
		if r := kubectl(t, args...); r.code != 0 && !strings.Contains(r.stderr, "AlreadyExists") {
			t.Fatalf("kubectl %v: %s", args, r.stderr)
		}
	}
	r := kubectl(t, "calico-ebpf", "routes", "--node", "node-2", "--as", "e2e-reader")
	if r.code != 1 || !strings.Contains(r.stderr, "exec failed") || !strings.Contains(r.stderr, "forbidden") {
		t.Errorf("exit %d, stderr:\n%s", r.code, r.stderr)
	}
}

func lineWith(text, word string) string {
	for _, l := range strings.Split(text, "\n") {
		if strings.HasPrefix(l, word+" ") {
			return l
		}
	}
	return ""
}

func removeNodes(t *testing.T, nodes map[string]string) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	for name := range nodes {
		_ = cluster.Kube.CoreV1().Nodes().Delete(ctx, name, metav1.DeleteOptions{})
	}
	_ = wait.PollUntilContextCancel(ctx, 500*time.Millisecond, true, func(ctx context.Context) (bool, error) {
		pods, err := cluster.Kube.CoreV1().Pods(calico.OperatorNamespace).List(ctx, metav1.ListOptions{LabelSelector: calico.NodeSelector})
		if err != nil {
			return false, nil
		}
		for _, p := range pods.Items {
			if _, gone := nodes[p.Spec.NodeName]; gone {
				_ = cluster.Kube.CoreV1().Pods(p.Namespace).Delete(ctx, p.Name, metav1.DeleteOptions{GracePeriodSeconds: new(int64)})
				return false, nil
			}
		}
		return true, nil
	})
}
