package testbed

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"

	"github.com/calico-ebpf/kubectl-calico-ebpf/test/fakes/render"
)

// renderFixtures writes a node's data dir for a Calico version from the fixture family that
// version prints, rewritten to the cluster's addresses.
func renderFixtures(testdata, version, dst string, ipMap map[string]string) error {
	if err := os.RemoveAll(dst); err != nil {
		return err
	}
	if err := os.MkdirAll(dst, 0o755); err != nil {
		return err
	}
	if err := render.RenderVersion(testdata, version, dst, render.Options{IPMap: ipMap}); err != nil {
		return err
	}
	return restorePoolCIDR(dst, ipMap)
}

// fixturePool is the IP pool of the fixture world. Its network address is also the first
// node's block (10.65.0.0/26), which the address rewriting moves to the dumping node's block;
// the pool itself must stay where it is.
const fixturePool = "10.65.0.0/16"

func restorePoolCIDR(dir string, ipMap map[string]string) error {
	base, _, _ := strings.Cut(fixturePool, "/")
	moved, ok := ipMap[base]
	if !ok || moved == base {
		return nil
	}
	wrong := []byte(moved + "/16")
	files, err := filepath.Glob(filepath.Join(dir, "*.txt"))
	if err != nil {
		return err
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return err
		}
		if !bytes.Contains(b, wrong) {
			continue
		}
		if err := os.WriteFile(f, bytes.ReplaceAll(b, wrong, []byte(fixturePool)), 0o644); err != nil {
			return err
		}
	}
	return nil
}
