package annotate

import (
	"fmt"
	"path"
	"slices"
	"strings"

	"github.com/calico-ebpf/kubectl-calico-ebpf/pkg/model"
)

// TraceFilter selects BPF trace events; empty fields match everything. Within a field any value
// may match; all fields must.
type TraceFilter struct {
	// Ifaces are shell patterns (path.Match: "cali*", "eth[01]") over the interface. The
	// connect-time programs' events have the interface "CTLB".
	Ifaces []string
	// Directions are Calico's one-letter hooks: I, E, X or C (see TraceDirection).
	Directions []string
	// Results are verdict words ("ALLOW", "DENY"), compared without case. Only the "Final
	// result=" line of each packet carries one, so this keeps one line per packet.
	Results []string
}

// TraceDirection reads a --direction value: ingress, egress, xdp or connect (or its letter).
func TraceDirection(s string) (string, error) {
	switch strings.ToLower(s) {
	case "ingress", "i":
		return "I", nil
	case "egress", "e":
		return "E", nil
	case "xdp", "x":
		return "X", nil
	case "connect", "ctlb", "c":
		return "C", nil
	}
	return "", fmt.Errorf("unknown direction %q: use ingress, egress, xdp or connect", s)
}

// CheckIfacePattern reports a malformed interface pattern before any event is read.
func CheckIfacePattern(p string) error {
	if _, err := path.Match(p, ""); err != nil {
		return fmt.Errorf("bad interface pattern %q: %w", p, err)
	}
	return nil
}

// Empty reports whether the filter lets everything through.
func (f TraceFilter) Empty() bool {
	return len(f.Ifaces) == 0 && len(f.Directions) == 0 && len(f.Results) == 0
}

// Match reports whether ev passes the filter. A lost-events marker has no interface,
// direction or verdict, so any filter drops it; callers count those separately.
func (f TraceFilter) Match(ev model.TraceEvent) bool {
	if len(f.Ifaces) > 0 && !slices.ContainsFunc(f.Ifaces, func(p string) bool { ok, _ := path.Match(p, ev.Iface); return ok }) {
		return false
	}
	if len(f.Directions) > 0 && !slices.ContainsFunc(f.Directions, func(d string) bool { return d == ev.Direction }) {
		return false
	}
	if len(f.Results) > 0 && !slices.ContainsFunc(f.Results, func(r string) bool { return ev.Result != "" && strings.EqualFold(r, ev.Result) }) {
		return false
	}
	return true
}
