package output

import (
	"time"

	"github.com/calico-ebpf/kubectl-calico-ebpf/pkg/model"
)

// NATView prints `nat dump`: one row per frontend, its backends summarised in one cell.
//
// A row per frontend rather than per backend: the frontend is what an engineer looks up (the
// service IP and port a client used), it is the map's key, and count/local/flags belong to
// it. A row per backend would repeat all of that for every endpoint and hide frontends with
// no backends at all (count 0, blackholes), which are often the very thing being debugged.
// The table shows the first backends and how many more; -o wide shows them all.
var NATView View = columns[model.NATEntry]{noun: "NAT frontends", cols: []column[model.NATEntry]{
	{header: "FRONTEND", cell: func(e model.NATEntry) string { return hostPort(e.Frontend.Addr, e.Frontend.Port) }},
	{header: "PROTO", cell: func(e model.NATEntry) string { return e.Frontend.Proto.String() }},
	{header: "ID", cell: func(e model.NATEntry) string { return itoa(e.Frontend.ID) }},
	{header: "COUNT", cell: func(e model.NATEntry) string { return itoa(e.Frontend.Count) }},
	{header: "LOCAL", cell: func(e model.NATEntry) string { return itoa(e.Frontend.Local) }},
	{header: "FLAGS", cell: func(e model.NATEntry) string { return joinOrNone(natFlagWords(e.Frontend)) }},
	{header: "SRC CIDR", cell: func(e model.NATEntry) string {
		if !e.Frontend.SrcCIDR.IsValid() {
			return none
		}
		return e.Frontend.SrcCIDR.String()
	}},
	{
		header:   "BACKENDS",
		cell:     func(e model.NATEntry) string { return natBackendsCell(e, shortList) },
		wideCell: func(e model.NATEntry) string { return natBackendsCell(e, joinOrNone) },
	},
}}

func natFlagWords(f model.NATFrontend) []string {
	return append(f.Flags.Words(), f.ExtraFlags...)
}

func natBackendsCell(e model.NATEntry, join func([]string) string) string {
	if e.Frontend.Blackhole() {
		return "<blackhole: drop>"
	}
	return join(natBackendStrings(e.Backends))
}

// natBackendStrings writes each backend as ip:port, or "missing(id:ordinal)" for an ordinal
// the backend map has no entry for.
func natBackendStrings(bs []model.NATBackend) []string {
	out := make([]string, len(bs))
	for i, b := range bs {
		out[i] = natBackendString(b)
	}
	return out
}

func natBackendString(b model.NATBackend) string {
	if b.Missing {
		return "missing(" + itoa(b.ID) + ":" + itoa(b.Ordinal) + ")"
	}
	return hostPort(b.Addr, b.Port)
}

// NATAffinityView prints `nat aff`: which backend each client is pinned to (sessionAffinity:
// ClientIP). LAST USED is the kernel's monotonic clock at the last packet, time since the
// node booted, not an age.
var NATAffinityView View = columns[model.NATAffinity]{noun: "NAT affinity entries", cols: []column[model.NATAffinity]{
	{header: "CLIENT", cell: func(a model.NATAffinity) string { return addrOrNone(a.ClientIP) }},
	{header: "FRONTEND", cell: func(a model.NATAffinity) string { return hostPort(a.Addr, a.Port) }},
	{header: "PROTO", cell: func(a model.NATAffinity) string { return a.Proto.String() }},
	{header: "BACKEND", cell: func(a model.NATAffinity) string { return hostPort(a.Backend.Addr, a.Backend.Port) }},
	{header: "LAST USED (SINCE BOOT)", cell: func(a model.NATAffinity) string {
		return a.Timestamp.Truncate(time.Millisecond).String()
	}},
}}

// MaglevView prints `nat maglev`: one row per slot of a service's Maglev lookup table.
var MaglevView View = columns[model.MaglevEntry]{noun: "Maglev entries", cols: []column[model.MaglevEntry]{
	{header: "ID", cell: func(m model.MaglevEntry) string { return itoa(m.SvcID) }},
	{header: "ORDINAL", cell: func(m model.MaglevEntry) string { return itoa(m.Ordinal) }},
	{header: "BACKEND", cell: func(m model.MaglevEntry) string { return hostPort(m.Addr, m.Port) }},
}}
