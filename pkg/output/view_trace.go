package output

import (
	"strconv"

	"github.com/calico-ebpf/kubectl-calico-ebpf/pkg/model"
)

// TraceView prints BPF trace events (bpfLogLevel: Debug): one row per line of the trace pipe.
// TIME is seconds since boot, as the kernel prints it, so rows can be matched with the raw
// trace. Wide adds the input line, the task, the CPU, the parsed verdict and the program's
// execution time.
var TraceView View = columns[model.TraceEvent]{noun: "trace events", cols: []column[model.TraceEvent]{
	{header: "TIME", cell: func(t model.TraceEvent) string { return strconv.FormatFloat(t.Time.Seconds(), 'f', 6, 64) }},
	{header: "IFACE", cell: func(t model.TraceEvent) string { return orNone(t.Iface) }},
	{header: "DIR", cell: func(t model.TraceEvent) string { return traceDirection(t.Direction) }},
	{header: "MESSAGE", cell: traceMessage},
	{header: "LINE", wideOnly: true, cell: func(t model.TraceEvent) string { return itoa(t.Line) }},
	{header: "TASK", wideOnly: true, cell: func(t model.TraceEvent) string {
		if t.PID == 0 {
			return orNone(t.Task)
		}
		return t.Task + "-" + itoa(t.PID)
	}},
	{header: "CPU", wideOnly: true, cell: func(t model.TraceEvent) string { return itoa(t.CPU) }},
	{header: "FAMILY", wideOnly: true, cell: func(t model.TraceEvent) string {
		if t.IPv6 {
			return "IPv6"
		}
		return "IPv4"
	}},
	{header: "RESULT", wideOnly: true, cell: func(t model.TraceEvent) string {
		if t.Result == "" {
			return none
		}
		return t.Result + " (" + itoa(t.ResultCode) + ")"
	}},
	{header: "EXEC TIME", wideOnly: true, cell: func(t model.TraceEvent) string {
		if t.ExecTime.IsZero() {
			return none
		}
		return t.ExecTime.String()
	}},
}}

// traceDirection spells out Calico's one-letter hook.
func traceDirection(d string) string {
	switch d {
	case "I":
		return "ingress"
	case "E":
		return "egress"
	case "X":
		return "xdp"
	case "C":
		return "connect"
	}
	return orNone(d)
}

func traceMessage(t model.TraceEvent) string {
	if t.Message == "" && t.Lost > 0 {
		return "lost " + itoa(t.Lost) + " events"
	}
	return orNone(t.Message)
}
