package testbed

import (
	"os"

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
	return render.RenderVersion(testdata, version, dst, render.Options{IPMap: ipMap})
}
