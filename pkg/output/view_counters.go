package output

import (
	"fmt"

	"github.com/calico-ebpf/kubectl-calico-ebpf/pkg/model"
)

// CountersView prints `counters dump`: one table row per counter, each naming its interface,
// so that a grep for "Dropped" shows every interface's drops. The XDP column is N/A on most
// interfaces and missing before v3.25, so it is in -o wide only.
var CountersView View = countersView{columns[counterLine]{noun: "counters", cols: []column[counterLine]{
	{header: "INTERFACE", cell: func(c counterLine) string { return orNone(c.iface) }},
	{header: "CATEGORY", cell: func(c counterLine) string { return orNone(c.Category) }},
	{header: "TYPE", cell: func(c counterLine) string { return orNone(c.Type) }},
	{header: "INGRESS", cell: func(c counterLine) string { return c.Ingress.String() }},
	{header: "EGRESS", cell: func(c counterLine) string { return c.Egress.String() }},
	{header: "XDP", wideOnly: true, cell: func(c counterLine) string { return c.XDP.String() }},
}}}

// counterLine is one counter of one interface: a table row of the counters view.
type counterLine struct {
	iface string
	model.Counter
}

// countersView expands an interface's counter table into one row per counter.
type countersView struct{ lines columns[counterLine] }

func (v countersView) Noun() string               { return v.lines.Noun() }
func (v countersView) Headers(wide bool) []string { return v.lines.Headers(wide) }

func (v countersView) Rows(row any, wide bool) ([][]string, error) {
	ic, ok := row.(model.InterfaceCounters)
	if !ok {
		return nil, fmt.Errorf("print %s: got a %T row", v.Noun(), row)
	}
	out := make([][]string, 0, len(ic.Counters))
	for _, c := range ic.Counters {
		out = append(out, v.lines.cells(counterLine{iface: ic.Interface, Counter: c}, wide))
	}
	return out, nil
}
