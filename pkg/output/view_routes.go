package output

import (
	"slices"

	"github.com/calico-ebpf/kubectl-calico-ebpf/pkg/model"
)

// RouteView prints `routes dump`: one row per route. TYPE holds the words that say where
// the destination is (local/remote, host/workload, blackhole), FLAGS the properties
// (in-pool, nat-out, tunneled, …), so the two questions an engineer asks of a route read in
// separate columns. Wide adds the interface index of local workload routes.
var RouteView View = columns[model.Route]{noun: "routes", cols: []column[model.Route]{
	{header: "DESTINATION", cell: func(r model.Route) string { return r.Dest.String() }},
	{header: "TYPE", cell: func(r model.Route) string { t, _ := routeWords(r); return joinOrNone(t) }},
	{header: "NEXT HOP", cell: func(r model.Route) string { return addrOrNone(r.NextHop) }},
	{header: "FLAGS", cell: func(r model.Route) string { _, f := routeWords(r); return joinOrNone(f) }},
	{header: "IFINDEX", wideOnly: true, cell: func(r model.Route) string {
		if r.IfIndex == 0 {
			return none
		}
		return itoa(r.IfIndex)
	}},
}}

// routeTypeWords are the route words that say what the destination is.
var routeTypeWords = []string{"local", "remote", "host", "workload", "blackhole-drop", "blackhole-reject"}

// routeWords splits a route's words into its type and its other flags (unknown words from a
// newer Calico go with the flags).
func routeWords(r model.Route) (typ, flags []string) {
	for _, w := range r.Flags.Words() {
		if slices.Contains(routeTypeWords, w) {
			typ = append(typ, w)
		} else {
			flags = append(flags, w)
		}
	}
	return typ, append(flags, r.ExtraFlags...)
}
