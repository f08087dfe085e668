package cmd

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/calico-ebpf/kubectl-calico-ebpf/pkg/annotate"
	"github.com/calico-ebpf/kubectl-calico-ebpf/pkg/kube"
	"github.com/calico-ebpf/kubectl-calico-ebpf/pkg/model"
	"github.com/calico-ebpf/kubectl-calico-ebpf/pkg/output"
	"github.com/calico-ebpf/kubectl-calico-ebpf/pkg/parse"
)

// TraceOptions holds the flags of `trace`: one node's BPF debug trace, live, or a saved trace.
type TraceOptions struct {
	configFlags *genericclioptions.ConfigFlags
	genericiooptions.IOStreams

	Node            string
	Input           string
	Output          string
	Ifaces          []string
	Directions      []string
	Results         []string
	Count           int
	Debug           bool
	Verbose         bool
	CalicoNamespace string
	ExecTransport   string

	format output.Format
	filter annotate.TraceFilter
}

// NewCmdTrace builds `trace`.
func NewCmdTrace(configFlags *genericclioptions.ConfigFlags, streams genericiooptions.IOStreams) *cobra.Command {
	o := &TraceOptions{configFlags: configFlags, IOStreams: streams}
	cmd := &cobra.Command{
		Use:   "trace (--node NAME | --input FILE)",
		Short: "Stream and parse one node's BPF debug trace (bpfLogLevel: Debug), live or from a saved trace",
		Long: "Print the BPF programs' debug log, one row per event, as the kernel's trace pipe carries it.\n\n" +
			"Live: --node NAME runs `tc exec bpf debug` in the node's calico-node pod (or, where the image has\n" +
			"no tc, reads /sys/kernel/tracing/trace_pipe, then /sys/kernel/debug/tracing/trace_pipe) and prints\n" +
			"each event as it arrives, until Ctrl-C or --count. A summary (events shown, filtered out, lines not\n" +
			"understood) goes to stderr at the end. The trace pipe hands each line to one reader only: two traces\n" +
			"of the same node split the events between them.\n\n" +
			"The programs only write the trace while FelixConfiguration bpfLogLevel is Debug. When it is not,\n" +
			"trace says so and shows the fix; --debug switches it to Debug for the trace and back afterwards,\n" +
			"Ctrl-C included. Debug logging costs every packet on every node: keep the trace short.\n\n" +
			"Offline mode: --input reads a saved trace (`tc exec bpf debug > trace.txt`, trace_pipe or\n" +
			"`bpftool prog tracelog` output) from a file, or from stdin with '-'; no cluster is needed.\n\n" +
			"-o json prints one JSON object per event and line (NDJSON) when live, since a live trace has no\n" +
			"end to close a document at; a saved trace prints {\"kind\", \"items\", \"warnings\"} like the dumps.\n" +
			"A live table's columns have fixed widths, from what the kernel can print, with MESSAGE last.",
		Example: "  # Follow one node's trace (Ctrl-C stops it)\n" +
			"  " + displayName + " trace --node worker-1\n\n" +
			"  # Only verdicts on workload interfaces, with the task and CPU, Debug switched on meanwhile\n" +
			"  " + displayName + " trace --node worker-1 --iface 'cali*' --result deny --debug -o wide\n\n" +
			"  # The first 100 ingress events as NDJSON\n" +
			"  " + displayName + " trace --node worker-1 --direction ingress --count 100 -o json\n\n" +
			"  # Print a saved trace\n" +
			"  " + displayName + " trace --input trace.txt",
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := o.Complete(); err != nil {
				return err
			}
			return o.Run(cmd.Context())
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.Node, "node", "", "Trace this node, live.")
	f.StringVar(&o.Input, "input", "", "Read a saved trace from this file instead of a node ('-' reads stdin).")
	f.StringVarP(&o.Output, "output", "o", "", output.FlagHelp())
	f.StringArrayVar(&o.Ifaces, "iface", nil, "Only events of interfaces matching this pattern (repeatable; shell patterns such as 'cali*'; CTLB for connect-time events).")
	f.StringArrayVar(&o.Directions, "direction", nil, "Only events of this hook: ingress, egress, xdp or connect (repeatable).")
	f.StringArrayVar(&o.Results, "result", nil, "Only verdict lines with this result, e.g. allow or deny (repeatable; one line per packet).")
	f.IntVar(&o.Count, "count", 0, "Stop after printing this many events (0: until Ctrl-C, or the end of --input).")
	f.BoolVar(&o.Debug, "debug", false, "Set bpfLogLevel to Debug for the trace if it is not, and set it back at the end.")
	f.BoolVarP(&o.Verbose, "verbose", "v", false, "Show each line that is not a trace event on stderr as it comes (they are always counted).")
	f.StringVar(&o.CalicoNamespace, "calico-namespace", "", "Namespace of calico-node (default: detected, calico-system or kube-system).")
	f.StringVar(&o.ExecTransport, "exec-transport", string(kube.TransportAuto), "Exec protocol: auto (WebSocket, then SPDY), websocket or spdy.")
	return cmd
}

// Complete checks the flags and turns them into the output format and the filter.
func (o *TraceOptions) Complete() error {
	var err error
	if o.format, err = output.ParseFormat(o.Output); err != nil {
		return usageError{err}
	}
	switch {
	case o.Node == "" && o.Input == "":
		return usageErrorf("trace needs a node to follow (--node NAME) or a saved trace (--input FILE, - for stdin)")
	case o.Node != "" && o.Input != "":
		return usageErrorf("--input reads a saved trace; it cannot be combined with --node")
	case o.Debug && o.Input != "":
		return usageErrorf("--debug switches a live node's logging; it needs --node, not --input")
	case o.Count < 0:
		return usageErrorf("--count must not be negative")
	}
	for _, p := range o.Ifaces {
		if err := annotate.CheckIfacePattern(p); err != nil {
			return usageError{err}
		}
	}
	o.filter = annotate.TraceFilter{Ifaces: o.Ifaces, Results: o.Results}
	for _, d := range o.Directions {
		letter, err := annotate.TraceDirection(d)
		if err != nil {
			return usageError{err}
		}
		o.filter.Directions = append(o.filter.Directions, letter)
	}
	return nil
}

// Run follows the node, or prints the saved trace.
func (o *TraceOptions) Run(ctx context.Context) error {
	if o.Node != "" {
		return o.runLive(ctx)
	}
	return o.runSaved(ctx)
}

// errTraceCount ends the decoding once --count events were printed.
var errTraceCount = errors.New("trace: --count events printed")

// runSaved prints a saved trace like the dumps print theirs: one document, filtered.
func (o *TraceOptions) runSaved(ctx context.Context) error {
	in, name := io.NopCloser(o.In), "stdin"
	if o.Input != stdinName {
		f, err := os.Open(o.Input)
		if err != nil {
			return fmt.Errorf("read trace: %w", err)
		}
		in, name = f, o.Input
	}
	defer in.Close()
	p := output.NewListPrinter(o.Out, o.ErrOut, o.format, parse.KindTrace.String(), output.TraceView)
	shown := 0
	rep, err := parse.Trace(ctxReader{ctx, in}, parse.Options{}, func(ev model.TraceEvent) error {
		if !o.filter.Match(ev) {
			return nil
		}
		if o.Count > 0 && shown == o.Count {
			return errTraceCount
		}
		shown++
		return p.Add(output.Item{Row: ev})
	})
	if err != nil && !errors.Is(err, errTraceCount) {
		_ = p.Abort()
		return decodeError(parse.KindTrace, name, err)
	}
	return p.Close(summaryOf(rep, ""))
}

// traceFixHint is how to turn the trace on: for this trace (--debug), or for longer with
// `debug on`, which records what `debug off` restores.
func traceFixHint(node string) string {
	return strings.Join([]string{
		"rerun with --debug to switch it on for this trace only, or switch it on (and later off) yourself:",
		"  " + displayName + " debug on        (" + displayName + " debug off to undo)",
		"(a node-specific FelixConfiguration node." + node + " wins over default where it sets bpfLogLevel)",
	}, "\n")
}
