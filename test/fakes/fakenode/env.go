package fakenode

import (
	"fmt"

	"github.com/calico-ebpf/kubectl-calico-ebpf/test/fakes/calver"
)

// Env is the per-pod configuration the test bed sets through kwok's Exec
// object. See the package comment for each variable.
type Env struct {
	Node    string // FAKE_NODE
	Version string // FAKE_CALICO_VERSION, e.g. "v3.29.7"
	DataDir string // FAKE_DATA_DIR; "" means no data at all
	Mode    string // FAKE_MODE: "", "hang", "garbage" or "fail"
	Attach  string // FAKE_ATTACH: "tc", "tcx" or "" (the release's default)
	BPFFS   string // FAKE_BPFFS: "mounted" (default) or "absent"
	TC      string // FAKE_TC: "present" (default) or "absent"
	Tracefs string // FAKE_TRACEFS: where tracefs is mounted (default /sys/kernel/tracing), or "none"
}

// Environment variable names.
const (
	EnvNode    = "FAKE_NODE"
	EnvVersion = "FAKE_CALICO_VERSION"
	EnvDataDir = "FAKE_DATA_DIR"
	EnvMode    = "FAKE_MODE"
	EnvAttach  = "FAKE_ATTACH"
	EnvBPFFS   = "FAKE_BPFFS"
	EnvTC      = "FAKE_TC"
	EnvTracefs = "FAKE_TRACEFS"
)

// Where a kernel's trace pipe can be: tracefs's own mount point (Linux 4.1+) and the older
// place under debugfs.
const (
	TracefsMount = "/sys/kernel/tracing"
	DebugfsTrace = "/sys/kernel/debug/tracing"
)

// LoadEnv reads and checks the FAKE_* variables. A typo in the test bed's
// Exec object must fail loudly, not silently select the default.
func LoadEnv(getenv func(string) string) (Env, error) {
	e := Env{
		Node:    getenv(EnvNode),
		Version: getenv(EnvVersion),
		DataDir: getenv(EnvDataDir),
		Mode:    getenv(EnvMode),
		Attach:  getenv(EnvAttach),
		BPFFS:   getenv(EnvBPFFS),
		TC:      getenv(EnvTC),
		Tracefs: getenv(EnvTracefs),
	}
	if e.BPFFS == "" {
		e.BPFFS = "mounted"
	}
	if e.TC == "" {
		e.TC = "present"
	}
	if e.Tracefs == "" {
		e.Tracefs = TracefsMount
	}
	checks := []struct {
		name, value string
		allowed     []string
	}{
		{EnvMode, e.Mode, []string{"", "hang", "garbage", "fail"}},
		{EnvAttach, e.Attach, []string{"", "tc", "tcx"}},
		{EnvBPFFS, e.BPFFS, []string{"mounted", "absent"}},
		{EnvTC, e.TC, []string{"present", "absent"}},
		{EnvTracefs, e.Tracefs, []string{TracefsMount, DebugfsTrace, "none"}},
	}
	for _, c := range checks {
		if !contains(c.allowed, c.value) {
			return Env{}, fmt.Errorf("%s=%q: want one of %q", c.name, c.value, c.allowed)
		}
	}
	return e, nil
}

// CalicoVersion parses FAKE_CALICO_VERSION.
func (e Env) CalicoVersion() (calver.Version, error) {
	v, err := calver.Parse(e.Version)
	if err != nil {
		return calver.Version{}, fmt.Errorf("%s=%q is not a Calico version: %w", EnvVersion, e.Version, err)
	}
	return v, nil
}

// AttachMode resolves FAKE_ATTACH: unset means what Felix does by default,
// TCX from v3.31 (on a TCX-capable kernel) and TC before (reference §3.2).
func (e Env) AttachMode() string {
	if e.Attach != "" {
		return e.Attach
	}
	if v, err := e.CalicoVersion(); err == nil && v.AtLeast(calver.MustParse("v3.31.0")) {
		return "tcx"
	}
	return "tc"
}

// BPFFSMounted reports whether /sys/fs/bpf is a bpffs in the pod.
func (e Env) BPFFSMounted() bool { return e.BPFFS != "absent" }

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
