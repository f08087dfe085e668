//go:build e2e

package e2e

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// checkReport is nat --check -o json.
type checkReport struct {
	Nodes     []string `json:"nodes"`
	Frontends int      `json:"frontends"`
	Findings  []struct {
		Node     string   `json:"node"`
		Severity string   `json:"severity"`
		Code     string   `json:"code"`
		Message  string   `json:"message"`
		Present  []string `json:"present"`
		Absent   []string `json:"absent"`
		Frontend string   `json:"frontend"`
	} `json:"findings"`
}

func natCheck(t *testing.T, args ...string) (checkReport, result) {
	t.Helper()
	r := kubectl(t, append([]string{"calico-ebpf", "nat", "--check"}, append(args, "-o", "json")...)...)
	var rep checkReport
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatalf("nat --check -o json: %v\n%s\n%s", err, r.stdout, r.stderr)
	}
	return rep, r
}

// TestNATCheckFindsTheDriftedNode: every node's NAT map is generated from the Services and
// EndpointSlices, so a clean cluster has no drift, across Calico generations. Then one node's
// map loses a backend and gains a stale frontend: nat --check names exactly that, and exits 1.
func TestNATCheckFindsTheDriftedNode(t *testing.T) {
	rep, r := natCheck(t, "--all-nodes")
	if r.code != 0 {
		t.Fatalf("clean cluster: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	for _, f := range rep.Findings {
		if f.Severity == "warn" {
			t.Errorf("clean cluster: %s %s %s", f.Node, f.Code, f.Message)
		}
	}
	if len(rep.Nodes) != len(e2eVersions) || rep.Frontends == 0 {
		t.Fatalf("compared %v (%d frontends)", rep.Nodes, rep.Frontends)
	}
	if r := kubectl(t, "calico-ebpf", "nat", "--check", "--all-nodes"); r.code != 0 || !strings.Contains(r.stdout, "No drift") {
		t.Errorf("clean table: exit %d\n%s", r.code, r.stdout)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	drift, err := cluster.DriftNAT(ctx, "node-2")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cluster.RefreshNAT(context.Background(), "node-2") })

	rep, r = natCheck(t, "--all-nodes")
	if r.code != 1 {
		t.Fatalf("drifted cluster: exit %d\n%s", r.code, r.stderr)
	}
	codes := map[string]bool{}
	for _, f := range rep.Findings {
		if f.Severity != "warn" {
			continue
		}
		codes[f.Code] = true
		switch {
		case f.Node == "node-2":
		case f.Node == "" && strings.HasPrefix(f.Code, "cross-node-"):
		default:
			t.Errorf("a healthy node reported drift: %+v", f)
		}
	}
	for _, want := range []string{"missing-backend", "wrong-count", "no-service", "cross-node-backends", "cross-node-frontend"} {
		if !codes[want] {
			t.Errorf("no %s finding for %+v; findings: %+v", want, drift, rep.Findings)
		}
	}
	text := kubectl(t, "calico-ebpf", "nat", "--check", "--all-nodes")
	if text.code != 1 || !strings.Contains(text.stdout, drift.RemovedBackend.String()) || !strings.Contains(text.stdout, strings.SplitN(drift.StaleFrontend, ":", 2)[0]) {
		t.Errorf("the table does not name the removed backend %s and stale frontend %s:\n%s", drift.RemovedBackend, drift.StaleFrontend, text.stdout)
	}

	// --explain on the drifted node spells the same anomalies out.
	ex := kubectl(t, "calico-ebpf", "nat", "--explain", "--node", "node-2")
	if ex.code != 0 || !strings.Contains(ex.stdout, "no-service") {
		t.Errorf("nat --explain on the drifted node:\n%s%s", ex.stdout, ex.stderr)
	}
}
