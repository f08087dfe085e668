//go:build e2e

package e2e

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestKubectlListsThePlugin(t *testing.T) {
	r := kubectl(t, "plugin", "list")
	if r.code != 0 || !strings.Contains(r.stdout, "kubectl-calico_ebpf") {
		t.Fatalf("kubectl plugin list (exit %d):\n%s%s", r.code, r.stdout, r.stderr)
	}
}

func TestVersionReportsClusterVersions(t *testing.T) {
	r := kubectl(t, "calico-ebpf", "version")
	if r.code != 0 {
		t.Fatalf("version exit %d: %s", r.code, r.stderr)
	}
	for _, want := range []string{
		"Kubernetes Version: v1.37.2",
		"Calico Version: v3.33.0 (operator install, calico-node in calico-system)",
		"calico-node -bpf (text)",
		"calico-node -bpf (json)",
		"calico component node bpf (json)",
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("version output lacks %q:\n%s", want, r.stdout)
		}
	}

	r = kubectl(t, "calico-ebpf", "version", "-o", "json")
	var info struct {
		Kubernetes string `json:"kubernetesVersion"`
		Calico     struct {
			Flavour string `json:"flavour"`
			Nodes   []struct{ Node, Version, DumpCommand string }
		} `json:"calico"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &info); err != nil {
		t.Fatalf("version -o json: %v\n%s", err, r.stdout)
	}
	if info.Kubernetes != "v1.37.2" || info.Calico.Flavour != "operator" || len(info.Calico.Nodes) != len(e2eVersions) {
		t.Errorf("version -o json = %+v", info)
	}
	for i, n := range info.Calico.Nodes {
		if n.Version != e2eVersions[i] {
			t.Errorf("node %s runs %s, want %s", n.Node, n.Version, e2eVersions[i])
		}
	}
}

func TestVersionClientNeedsNoCluster(t *testing.T) {
	r := runCmd(t, []string{"KUBECONFIG=/nonexistent/kubeconfig"}, "kubectl", "calico-ebpf", "version", "--client")
	if r.code != 0 || !strings.HasPrefix(r.stdout, "Client Version: ") || strings.Contains(r.stdout, "Kubernetes") {
		t.Fatalf("version --client (exit %d):\n%s%s", r.code, r.stdout, r.stderr)
	}
}

func TestUsageErrorsGoToStderr(t *testing.T) {
	r := kubectl(t, "calico-ebpf", "version", "--bogus")
	if r.code == 0 || r.stdout != "" || !strings.Contains(r.stderr, "unknown flag: --bogus") ||
		!strings.Contains(r.stderr, "kubectl calico-ebpf --help") {
		t.Fatalf("bad flag: exit %d stdout %q stderr %q", r.code, r.stdout, r.stderr)
	}
}
