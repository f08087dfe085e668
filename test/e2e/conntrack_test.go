//go:build e2e

package e2e

import (
	"strings"
	"testing"
)

// TestConntrackStatsEveryGeneration counts every node's table, including the v3.22 node whose
// Calico has no `conntrack stats`, against FelixConfiguration's map size.
func TestConntrackStatsEveryGeneration(t *testing.T) {
	l, r := dumpJSON(t, "conntrack", "--stats", "--all-nodes")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	if got := nodesOf(l); len(got) != len(e2eVersions) {
		t.Fatalf("stats for %v, want one per node", got)
	}
	for _, it := range l.Items {
		total, _ := it["total_entries"].(float64)
		usage, _ := it["usage"].(map[string]any)
		if total == 0 || usage["map_size"] != float64(512000) || usage["state"] != "ok" {
			t.Errorf("node %v: stats %v", it["node"], it)
		}
	}
	r = kubectl(t, "calico-ebpf", "conntrack", "--stats", "--node", "node-1")
	if r.code != 0 || !strings.Contains(r.stdout, "% of 512000") {
		t.Errorf("stats table (exit %d):\n%s%s", r.code, r.stdout, r.stderr)
	}
}

// TestConntrackFilters narrows each node's table by protocol, Service and pod.
func TestConntrackFilters(t *testing.T) {
	l, r := dumpJSON(t, "conntrack", "--all-nodes", "--proto", "udp")
	if r.code != 0 || len(l.Items) == 0 {
		t.Fatalf("--proto udp: exit %d, %d items: %s", r.code, len(l.Items), r.stderr)
	}
	for _, it := range l.Items {
		if it["proto"] != "UDP" {
			t.Errorf("--proto udp let through %v", it)
		}
	}

	l, r = dumpJSON(t, "conntrack", "--node", "node-3", "--service", "default/kubernetes")
	if r.code != 0 || len(l.Items) == 0 {
		t.Fatalf("--service: exit %d, %d items: %s", r.code, len(l.Items), r.stderr)
	}
	for _, it := range l.Items {
		if !strings.Contains(it["orig_dst"].(string), "10.96.0.1:443") {
			t.Errorf("--service default/kubernetes let through %v", it)
		}
	}

	all, _ := dumpJSON(t, "conntrack", "--node", "node-3")
	pod := clientPodOn(t, "node-3")
	l, r = dumpJSON(t, "conntrack", "--node", "node-3", "--pod", "demo/"+pod)
	if r.code != 0 || len(l.Items) == 0 || len(l.Items) >= len(all.Items) {
		t.Fatalf("--pod demo/%s: exit %d, %d of %d items: %s", pod, r.code, len(l.Items), len(all.Items), r.stderr)
	}
}

func clientPodOn(t *testing.T, node string) string {
	t.Helper()
	r := kubectl(t, "get", "pods", "-n", "demo", "-l", "app=client", "--field-selector", "spec.nodeName="+node, "-o", "jsonpath={.items[0].metadata.name}")
	if r.code != 0 || r.stdout == "" {
		t.Fatalf("no client pod on %s: %s", node, r.stderr)
	}
	return r.stdout
}
