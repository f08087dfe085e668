package output

import (
	"github.com/calico-ebpf/kubectl-calico-ebpf/pkg/model"
)

// QdiscView prints `tc -s qdisc show`: one row per qdisc with what was sent and dropped. On
// nodes that attach Calico's programs with TC every Calico interface has a clsact qdisc;
// nodes that use TCX have none. Wide adds the rest of the statistics and the options.
var QdiscView View = columns[model.Qdisc]{noun: "qdiscs", cols: []column[model.Qdisc]{
	{header: "DEV", cell: func(q model.Qdisc) string { return orNone(q.Dev) }},
	{header: "KIND", cell: func(q model.Qdisc) string { return orNone(q.Kind) }},
	{header: "HANDLE", cell: func(q model.Qdisc) string { return orNone(q.Handle) }},
	{header: "PARENT", cell: func(q model.Qdisc) string {
		if q.Root {
			return "root"
		}
		return orNone(q.Parent)
	}},
	{header: "SENT BYTES", cell: func(q model.Qdisc) string { return utoa(q.SentBytes) }},
	{header: "SENT PKTS", cell: func(q model.Qdisc) string { return utoa(q.SentPackets) }},
	{header: "DROPPED", cell: func(q model.Qdisc) string { return utoa(q.Dropped) }},
	{header: "OVERLIMITS", wideOnly: true, cell: func(q model.Qdisc) string { return utoa(q.Overlimits) }},
	{header: "REQUEUES", wideOnly: true, cell: func(q model.Qdisc) string { return utoa(q.Requeues) }},
	{header: "BACKLOG", wideOnly: true, cell: func(q model.Qdisc) string {
		return utoa(q.BacklogBytes) + "b " + utoa(q.BacklogPackets) + "p"
	}},
	{header: "REFCNT", wideOnly: true, cell: func(q model.Qdisc) string { return itoa(q.Refcnt) }},
	{header: "OPTIONS", wideOnly: true, cell: func(q model.Qdisc) string { return orNone(q.Options) }},
}}
