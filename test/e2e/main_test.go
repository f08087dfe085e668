//go:build e2e

// Package e2e drives the built plugin as a black box through the real kubectl (and krew) on a
// fresh simulated cluster (package testbed). Run it with `make e2e`.
package e2e

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/calico-ebpf/kubectl-calico-ebpf/pkg/calico"
	"github.com/calico-ebpf/kubectl-calico-ebpf/test/testbed"
)

// The e2e cluster: one node per Calico generation the dump code must speak.
var (
	e2eVersions = []string{"v3.22.5", "v3.29.7", "v3.32.1", "v3.33.0"}
	cluster     *testbed.Cluster
	pathDir     string // holds the plugin and kubectl, first on PATH
)

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var err error
	cluster, err = testbed.New(testbed.Config{
		// One cluster per test process, so that runs side by side (developers, CI) don't
		// tear down each other's clusters.
		Name: fmt.Sprintf("calico-ebpf-e2e-%d", os.Getpid()), Nodes: len(e2eVersions), Versions: e2eVersions,
		Flavour: calico.FlavourOperator, Progress: os.Stderr,
	})
	if err == nil {
		err = cluster.Prepare(ctx)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}
	// A fresh cluster every run; whatever happens below, it is torn down.
	_ = cluster.Down(ctx)
	defer func() {
		downCtx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		if err := cluster.Down(downCtx); err != nil {
			fmt.Fprintln(os.Stderr, "e2e: tear down:", err)
		}
	}()
	controllerCtx, stopController := context.WithCancel(ctx)
	defer stopController()
	start := runController(controllerCtx)
	if err := cluster.Up(ctx, start); err != nil {
		fmt.Fprintln(os.Stderr, "e2e: start cluster:", err)
		return 1
	}
	if pathDir, err = setupPath(cluster); err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}
	return m.Run()
}

// setupPath puts the built plugin and the test bed's kubectl in one directory, so that the
// tests run exactly what a user would: kubectl finding kubectl-calico_ebpf on PATH.
func setupPath(c *testbed.Cluster) (string, error) {
	dir, err := os.MkdirTemp("", "calico-ebpf-e2e-path-")
	if err != nil {
		return "", err
	}
	plugin := filepath.Join(c.Paths.Repo, "bin", "kubectl-calico_ebpf")
	if _, err := os.Stat(plugin); err != nil {
		return "", fmt.Errorf("plugin not built (run make build): %w", err)
	}
	for name, target := range map[string]string{
		"kubectl-calico_ebpf": plugin,
		"kubectl":             filepath.Join(c.ToolsBin, "kubectl"),
	} {
		if err := os.Symlink(target, filepath.Join(dir, name)); err != nil {
			return "", err
		}
	}
	return dir, nil
}

// result is what a command printed and how it ended.
type result struct {
	stdout, stderr string
	code           int
}

// kubectl runs the real kubectl with the plugin on PATH against the e2e cluster.
func kubectl(t *testing.T, args ...string) result {
	t.Helper()
	return runCmd(t, nil, "kubectl", args...)
}

func runCmd(t *testing.T, extraEnv []string, name string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = append(baseEnv(), extraEnv...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	code := 0
	if err != nil {
		exitErr, ok := err.(*exec.ExitError)
		if !ok {
			t.Fatalf("%s %s: %v", name, strings.Join(args, " "), err)
		}
		code = exitErr.ExitCode()
	}
	return result{out.String(), errOut.String(), code}
}

func baseEnv() []string {
	env := []string{"PATH=" + pathDir + string(os.PathListSeparator) + os.Getenv("PATH"), "KUBECONFIG=" + cluster.Kubeconfig, "HOME=" + os.Getenv("HOME")}
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "GO") || strings.HasPrefix(kv, "TMPDIR=") {
			env = append(env, kv)
		}
	}
	return env
}

// runController starts the test bed's controller in this process once the cluster is up,
// logging to controller.log in the cluster's directory; it runs until ctx ends.
func runController(ctx context.Context) func(context.Context, *testbed.Cluster) error {
	return func(_ context.Context, c *testbed.Cluster) error {
		if err := c.Connect(); err != nil {
			return err
		}
		logf, err := os.Create(filepath.Join(c.Dir, "controller.log"))
		if err != nil {
			return err
		}
		go c.Controller(logf).Run(ctx, 300*time.Millisecond)
		return nil
	}
}
