package fakenode

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/calico-ebpf/kubectl-calico-ebpf/test/fakes/render"
)

const testdata = "../../../pkg/parse/testdata"

// binDir holds the fake, built once, linked under every program name.
var binDir string

func TestMain(m *testing.M) {
	os.Exit(runTests(m))
}

func runTests(m *testing.M) int {
	dir, err := os.MkdirTemp("", "fakenode-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	bin := filepath.Join(dir, "fakenode")
	build := exec.Command("go", "build", "-o", bin, "github.com/calico-ebpf/kubectl-calico-ebpf/test/fakes/cmd/fakenode")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "build fakenode:", err)
		return 1
	}
	binDir = filepath.Join(dir, "bin")
	if err := InstallLinks(bin, binDir); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return m.Run()
}

// node is one simulated node's FAKE_* environment.
type node struct {
	name, version, dataDir, mode, attach, bpffs string
	tc, tracefs                                 string
}

type result struct {
	stdout, stderr string
	exit           int
}

func (n node) environ() []string {
	env := []string{"PATH=" + binDir, "FAKE_NODE=" + n.name, "FAKE_CALICO_VERSION=" + n.version, "FAKE_DATA_DIR=" + n.dataDir}
	for k, v := range map[string]string{"FAKE_MODE": n.mode, "FAKE_ATTACH": n.attach, "FAKE_BPFFS": n.bpffs, "FAKE_TC": n.tc, "FAKE_TRACEFS": n.tracefs} {
		if v != "" {
			env = append(env, k+"="+v)
		}
	}
	return env
}

// run execs the installed fake as program with args, like kwok would.
func (n node) run(t *testing.T, program string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	res, err := n.runCtx(ctx, program, args...)
	if err != nil {
		t.Fatalf("%s %q: %v", program, args, err)
	}
	return res
}

func (n node) runCtx(ctx context.Context, program string, args ...string) (result, error) {
	cmd := exec.CommandContext(ctx, filepath.Join(binDir, program), args...)
	cmd.Env = n.environ() // nothing inherited: the fake must not depend on the machine
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	res := result{stdout: stdout.String(), stderr: stderr.String()}
	var exitErr *exec.ExitError
	if errors.As(err, &exitErr) {
		res.exit, err = exitErr.ExitCode(), nil
	}
	return res, err
}

// rendered returns a data dir rendered from the fixture family of version.
func rendered(t *testing.T, version string, opts render.Options) string {
	t.Helper()
	dir := t.TempDir()
	if err := render.RenderVersion(testdata, version, dir, opts); err != nil {
		t.Fatal(err)
	}
	return dir
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(raw)
}

func fixture(t *testing.T, version, file string) string {
	return readFile(t, filepath.Join(testdata, version, file))
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func (r result) expect(t *testing.T, what string, exit int, stdout, stderr string) {
	t.Helper()
	if r.exit != exit || r.stdout != stdout || r.stderr != stderr {
		t.Errorf("%s:\n got exit %d stdout %q stderr %q\nwant exit %d stdout %q stderr %q",
			what, r.exit, r.stdout, r.stderr, exit, stdout, stderr)
	}
}
