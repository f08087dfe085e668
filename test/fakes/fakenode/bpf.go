package fakenode

import (
	"fmt"
	"strings"

	"github.com/calico-ebpf/kubectl-calico-ebpf/test/fakes/calicobpf"
	"github.com/calico-ebpf/kubectl-calico-ebpf/test/fakes/calver"
)

// runBPF answers one calico-bpf argv ("calico-node -bpf …" after -bpf is
// removed, or "calico component node bpf …").
func (p *proc) runBPF(v calver.Version, args []string) int {
	res := calicobpf.Parse(v, args)
	switch res.Outcome {
	case calicobpf.Mutating:
		return p.refuse("calico-bpf " + strings.Join(args, " "))
	case calicobpf.Data:
		return p.dump(v, res)
	}
	fmt.Fprint(p.stdout, res.Stdout)
	fmt.Fprint(p.stderr, res.Stderr)
	return res.ExitCode()
}

// dump answers a read-only calico-bpf command from the data directory, and
// like Calico does on a node without maps when the directory has nothing.
func (p *proc) dump(v calver.Version, res calicobpf.Result) int {
	if !p.env.BPFFSMounted() {
		return p.noMaps(v, res) // no bpffs, no pinned maps
	}
	key := res.Key
	if _, found, _ := p.data.find(key); !found && strings.HasSuffix(key, calicobpf.LogInfoSuffix) {
		// No capture at log level info: the plain one differs only by the
		// map-loading lines on stderr.
		key = strings.TrimSuffix(key, calicobpf.LogInfoSuffix)
	}
	switch {
	case isNATDump(res) && len(res.Args) > 0 && calicobpf.HasNATDumpFilter(v):
		return p.natDumpFiltered(v, res, key)
	case isCountersDump(res) && res.Flags["iface"] != "":
		return p.countersForIface(v, res, key)
	}
	if code, ok := p.serveKey(key); ok {
		return code
	}
	return p.noMaps(v, res)
}

func isNATDump(res calicobpf.Result) bool {
	return strings.Join(res.Command, " ") == "nat dump"
}

func isCountersDump(res calicobpf.Result) bool {
	return strings.Join(res.Command, " ") == "counters dump"
}
