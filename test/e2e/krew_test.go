//go:build e2e

package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestDistAndKrewInstall builds the release archives with `make dist`, validates the rendered
// manifest with krew's validator and installs the plugin with the real krew into a temporary
// KREW_ROOT, then runs it from there.
func TestDistAndKrewInstall(t *testing.T) {
	repo := cluster.Paths.Repo
	r := runCmd(t, []string{"VERSION=v0.1.0"}, "make", "-C", repo, "dist")
	if r.code != 0 {
		t.Fatalf("make dist (exit %d):\n%s%s", r.code, r.stdout, r.stderr)
	}
	manifest := filepath.Join(repo, "dist", "plugin.yaml")
	body, err := os.ReadFile(manifest)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"linux_amd64", "linux_arm64", "darwin_amd64", "darwin_arm64", "windows_amd64", "windows_arm64"} {
		archive := filepath.Join(repo, "dist", "kubectl-calico_ebpf_"+p+".tar.gz")
		listing, err := exec.Command("tar", "-tzf", archive).Output()
		if err != nil {
			t.Fatalf("list %s: %v", archive, err)
		}
		if !strings.Contains(string(listing), "LICENSE") || !strings.Contains(string(listing), "kubectl-calico_ebpf") {
			t.Errorf("%s lacks LICENSE or the binary:\n%s", archive, listing)
		}
	}
	if n := len(regexp.MustCompile(`(?m)^\s+sha256: [0-9a-f]{64}$`).FindAll(body, -1)); n != 6 {
		t.Errorf("plugin.yaml has %d lowercase sha256 lines, want 6:\n%s", n, body)
	}

	// validate-krew-manifest wants the file named after the plugin.
	vdir := t.TempDir()
	named := filepath.Join(vdir, "calico-ebpf.yaml")
	if err := os.WriteFile(named, body, 0o644); err != nil {
		t.Fatal(err)
	}
	r = runCmd(t, nil, filepath.Join(cluster.ToolsBin, "validate-krew-manifest"), "-manifest", named)
	if r.code != 0 {
		t.Fatalf("validate-krew-manifest (exit %d):\n%s%s", r.code, r.stdout, r.stderr)
	}

	krewRoot := t.TempDir()
	env := []string{"KREW_ROOT=" + krewRoot}
	r = runCmd(t, env, filepath.Join(cluster.ToolsBin, "krew"), "install",
		"--manifest="+manifest, "--archive="+filepath.Join(repo, "dist", "kubectl-calico_ebpf_linux_amd64.tar.gz"))
	if r.code != 0 {
		t.Fatalf("krew install (exit %d):\n%s%s", r.code, r.stdout, r.stderr)
	}
	installed := filepath.Join(krewRoot, "bin", "kubectl-calico_ebpf")
	if _, err := os.Stat(installed); err != nil {
		t.Fatalf("krew did not link the plugin: %v", err)
	}
	// Run it as a user would: krew's bin dir on PATH instead of the build output.
	kubectlOnly := t.TempDir()
	if err := os.Symlink(filepath.Join(cluster.ToolsBin, "kubectl"), filepath.Join(kubectlOnly, "kubectl")); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("kubectl", "calico-ebpf", "version")
	cmd.Env = []string{"PATH=" + filepath.Join(krewRoot, "bin") + ":" + kubectlOnly + ":/usr/bin:/bin", "KUBECONFIG=" + cluster.Kubeconfig, "HOME=" + t.TempDir()}
	cmd.Path = filepath.Join(kubectlOnly, "kubectl")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("kubectl calico-ebpf version from krew: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "Client Version: v0.1.0") || !strings.Contains(string(out), "Kubernetes Version: v1.37.2") {
		t.Errorf("krew-installed plugin printed:\n%s", out)
	}
}
