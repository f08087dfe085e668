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

	// validate-krew-manifest wants the file named after the plugin. Its own install step
	// downloads each platform's URI, which this offline test bed cannot, so it runs with
	// -skip-install and the installs below do that step from the local archives instead.
	vdir := t.TempDir()
	named := filepath.Join(vdir, "calico-ebpf.yaml")
	if err := os.WriteFile(named, body, 0o644); err != nil {
		t.Fatal(err)
	}
	r = runCmd(t, nil, filepath.Join(cluster.ToolsBin, "validate-krew-manifest"), "-manifest", named, "-skip-install")
	if r.code != 0 {
		t.Fatalf("validate-krew-manifest (exit %d):\n%s%s", r.code, r.stdout, r.stderr)
	}

	// The real krew installs every platform's archive (krew checks its sha256 against the
	// manifest), and each install must bring the LICENSE along.
	for _, p := range [][2]string{{"linux", "amd64"}, {"linux", "arm64"}, {"darwin", "amd64"}, {"darwin", "arm64"}, {"windows", "amd64"}, {"windows", "arm64"}} {
		root := t.TempDir()
		archive := filepath.Join(repo, "dist", "kubectl-calico_ebpf_"+p[0]+"_"+p[1]+".tar.gz")
		r = runCmd(t, []string{"KREW_ROOT=" + root, "KREW_OS=" + p[0], "KREW_ARCH=" + p[1]}, filepath.Join(cluster.ToolsBin, "krew"),
			"install", "--manifest="+manifest, "--archive="+archive)
		if r.code != 0 {
			t.Fatalf("krew install for %s/%s (exit %d):\n%s%s", p[0], p[1], r.code, r.stdout, r.stderr)
		}
		licenses, _ := filepath.Glob(filepath.Join(root, "store", "calico-ebpf", "*", "LICENSE"))
		if len(licenses) != 1 {
			t.Errorf("krew install for %s/%s did not extract LICENSE", p[0], p[1])
		}
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
