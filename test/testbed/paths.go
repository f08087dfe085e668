package testbed

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/calico-ebpf/kubectl-calico-ebpf/test/fakes/fakenode"
)

// Paths are where the test bed keeps its tools and state, all under the repository's
// git-ignored .cache folder unless CALICO_EBPF_CACHE moves it.
type Paths struct {
	Repo  string
	Cache string
}

// FindPaths locates the repository from the working directory (tests run in their package dir).
func FindPaths() (Paths, error) {
	dir, err := os.Getwd()
	if err != nil {
		return Paths{}, err
	}
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "test", "tools", "build.sh")); err == nil {
			cache := os.Getenv("CALICO_EBPF_CACHE")
			if cache == "" {
				cache = filepath.Join(d, ".cache")
			}
			return Paths{Repo: d, Cache: cache}, nil
		}
		if filepath.Dir(d) == d {
			return Paths{}, fmt.Errorf("no repository root (test/tools/build.sh) above %s", dir)
		}
	}
}

// KwokWorkDir is KWOK_WORKDIR: kwokctl's state, out of $HOME.
func (p Paths) KwokWorkDir() string { return filepath.Join(p.Cache, "kwok") }

// ClusterDir holds one cluster's kubeconfig, fixtures, logs and controller state.
func (p Paths) ClusterDir(name string) string { return filepath.Join(p.Cache, "clusters", name) }

// FakesBin is where the fake node programs are installed under their command names.
func (p Paths) FakesBin() string { return filepath.Join(p.Cache, "fakes", "bin") }

// FixturesDir holds the real calico-bpf outputs the fakes serve, per Calico version.
func (p Paths) FixturesDir() string { return filepath.Join(p.Repo, "pkg", "parse", "testdata") }

// Tools builds the pinned test-bed tools if they are not cached yet and returns their bin dir.
func (p Paths) Tools(ctx context.Context) (string, error) {
	cmd := exec.CommandContext(ctx, "bash", filepath.Join(p.Repo, "test", "tools", "build.sh"))
	cmd.Env = append(os.Environ(), "CALICO_EBPF_CACHE="+p.Cache)
	var out bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = os.Stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("build test-bed tools: %w", err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	return lines[len(lines)-1], nil
}

// BuildFakes compiles the fake node program and links it under every command name.
func (p Paths) BuildFakes(ctx context.Context) (string, error) {
	bin := p.FakesBin()
	if err := os.MkdirAll(bin, 0o755); err != nil {
		return "", err
	}
	prog := filepath.Join(bin, "fakenode")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", prog, "./test/fakes/cmd/fakenode")
	cmd.Dir = p.Repo
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("build fake node program: %w", err)
	}
	if err := fakenode.InstallLinks(prog, bin); err != nil {
		return "", fmt.Errorf("link fake node programs: %w", err)
	}
	return bin, nil
}
