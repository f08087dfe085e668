package render

import (
	"github.com/calico-ebpf/kubectl-calico-ebpf/test/fakes/calver"
)

// Fixture families in pkg/parse/testdata. Each is the real output of one
// Calico release; other releases borrow the nearest family's output.
const (
	FamilyV3_22 = "v3.22.5"         // raw conntrack, no -6, no --log-level
	FamilyV3_29 = "v3.29.7"         // pretty conntrack with Age, -6, --raw
	FamilyV3_32 = "v3.32.1"         // JSON, --group-by-service, nat maglev
	FamilyNoMap = "v3.32.1-no-maps" // errors of a node without pinned maps
)

// FamilyFor maps a Calico release to the fixture family closest in output
// format: ≤v3.27 → v3.22.5, v3.28–v3.30 → v3.29.7, ≥v3.31 → v3.32.1.
//
// Render drops runs the target release could not have produced (a *-json
// run for a release without -j, a -v6 run before v3.27, …): the fake would
// refuse those argvs anyway, and a stray file must not make a text-only
// release look JSON-capable.
func FamilyFor(version string) (string, error) {
	v, err := calver.Parse(version)
	if err != nil {
		return "", err
	}
	switch {
	case v.AtLeast(calver.MustParse("v3.31.0")):
		return FamilyV3_32, nil
	case v.AtLeast(calver.MustParse("v3.28.0")):
		return FamilyV3_29, nil
	}
	return FamilyV3_22, nil
}
