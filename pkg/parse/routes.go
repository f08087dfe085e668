package parse

import (
	"bytes"
	"io"

	"github.com/calico-ebpf/kubectl-calico-ebpf/pkg/model"
)

// Routes decodes `calico-bpf routes dump` (text, any version; JSON v3.31.5+)
// and calls fn for each route in input order.
//
// Text lines are "%15v: %s": the CIDR right-aligned to 15 characters (IPv6
// and long CIDRs unpadded), then the flag words, "idx N" for local workloads
// and "nh IP" for remote workloads.
func Routes(r io.Reader, opts Options, fn func(model.Route) error) (Report, error) {
	s := newSession(KindRoutes, r, opts)
	return s.finish(s.run(jsonRows(s, fn), func() error { return eachLine(s, fn, parseRouteLine) }))
}

// parseRouteLine reads "   10.65.0.5/32: local workload in-pool nat-out idx 12".
func parseRouteLine(line []byte, rt *model.Route) bool {
	dest, words, found := bytes.Cut(line, []byte(": "))
	if !found {
		var ok bool
		if dest, ok = bytes.CutSuffix(line, []byte(":")); !ok {
			return false
		}
	}
	p, ok := parsePrefix(trimSpace(dest))
	if !ok {
		return false
	}
	*rt = model.Route{Dest: p}
	known := 0
	for {
		var w []byte
		w, words = nextField(words)
		if len(w) == 0 {
			break
		}
		switch string(w) {
		case "idx":
			var v []byte
			v, words = nextField(words)
			n, ok := parseUintMax(v, 1<<31-1)
			if !ok {
				return false
			}
			rt.IfIndex = int(n)
		case "nh":
			var v []byte
			v, words = nextField(words)
			a, ok := parseAddr(v)
			if !ok {
				return false
			}
			rt.NextHop = a
		default:
			bit, ok := model.RouteWord(w)
			if !ok {
				rt.ExtraFlags = append(rt.ExtraFlags, string(w))
				continue
			}
			rt.Flags |= bit
			known++
		}
	}
	return known > 0
}
