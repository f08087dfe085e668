package cmd

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/calico-ebpf/kubectl-calico-ebpf/pkg/annotate"
	"github.com/calico-ebpf/kubectl-calico-ebpf/pkg/model"
	"github.com/calico-ebpf/kubectl-calico-ebpf/pkg/output"
	"github.com/calico-ebpf/kubectl-calico-ebpf/pkg/parse"
)

// stdinName is the --input value that reads standard input.
const stdinName = "-"

// DumpOptions holds the flags of a dump command (routes, nat, conntrack, …). One type serves
// every kind: what differs between kinds is data, in dumpKinds.
type DumpOptions struct {
	genericiooptions.IOStreams

	// Input is the saved dump to read; "-" reads stdin.
	Input string
	// InputFormat forces the dump's encoding: auto, text or json.
	InputFormat string
	// Output is -o: table, wide, json or yaml.
	Output string

	live liveFlags
	ct   conntrackFlags
	// filter is the conntrack filter built from ct.
	filter annotate.ConntrackFilter

	spec dumpKind
	// modeSet[i] is the flag of spec.modes[i]; modeSet[0], the default mode, has none.
	modeSet []bool

	mode        dumpMode
	format      output.Format
	parseFormat parse.Format
}

// NewDumpCmds builds one command per dump kind.
func NewDumpCmds(configFlags *genericclioptions.ConfigFlags, streams genericiooptions.IOStreams) []*cobra.Command {
	cmds := make([]*cobra.Command, 0, len(dumpKinds))
	for _, k := range dumpKinds {
		cmds = append(cmds, NewCmdDump(k, configFlags, streams))
	}
	return cmds
}

// NewCmdDump builds the command of one dump kind.
func NewCmdDump(spec dumpKind, configFlags *genericclioptions.ConfigFlags, streams genericiooptions.IOStreams) *cobra.Command {
	o := &DumpOptions{IOStreams: streams, spec: spec, modeSet: make([]bool, len(spec.modes))}
	o.live.configFlags = configFlags
	cmd := &cobra.Command{
		Use:     spec.name + " (--node NAME | --all-nodes | -l SELECTOR | --input FILE)",
		Short:   spec.short,
		Long:    dumpLong(spec),
		Example: dumpExample(spec),
		Args:    noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := o.Complete(); err != nil {
				return err
			}
			if err := o.Validate(); err != nil {
				return err
			}
			return o.Run(cmd.Context())
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.Input, "input", "", "Read a saved dump from this file instead of a node ('-' reads stdin).")
	f.StringVar(&o.InputFormat, "format", "auto", "Encoding of the input: auto|text|json (auto looks at the first line).")
	f.StringVarP(&o.Output, "output", "o", "", output.FlagHelp())
	for i, m := range spec.modes[1:] {
		f.BoolVar(&o.modeSet[i+1], m.flag, false, m.usage)
	}
	if liveKinds[spec.modes[0].kind] {
		o.live.addFlags(f, spec.modes[0].kind)
	}
	if spec.modes[0].kind == parse.KindConntrack {
		o.ct.addFlags(f)
	}
	return cmd
}

// noArgs is cobra.NoArgs reported as a usage error, so that it points to --help.
func noArgs(cmd *cobra.Command, args []string) error {
	if err := cobra.NoArgs(cmd, args); err != nil {
		return usageError{err}
	}
	return nil
}

// Complete turns the flags into typed settings.
func (o *DumpOptions) Complete() error {
	var err error
	if o.format, err = output.ParseFormat(o.Output); err != nil {
		return usageError{err}
	}
	if o.parseFormat, err = parse.ParseFormat(o.InputFormat); err != nil {
		return usageErrorf("unknown input format %q: use auto, text or json", o.InputFormat)
	}
	o.mode = o.spec.modes[0]
	for i, set := range o.modeSet {
		if set {
			o.mode = o.spec.modes[i]
		}
	}
	return nil
}

// Validate checks that the flags make sense together.
func (o *DumpOptions) Validate() error {
	var set []string
	for i, on := range o.modeSet {
		if on {
			set = append(set, "--"+o.spec.modes[i].flag)
		}
	}
	if len(set) > 1 {
		return usageErrorf("%s cannot be used together", strings.Join(set, " and "))
	}
	live := !o.live.selection().Empty()
	switch {
	case live && o.Input != "":
		return usageErrorf("--input reads a saved dump; it cannot be combined with --node, --all-nodes or -l")
	case o.Input != "" && o.mode.check:
		return usageErrorf("--check compares live nodes with the cluster: use --node, --all-nodes or -l instead of --input")
	case o.Input != "":
		return o.completeFilter(false)
	case !liveKinds[o.mode.kind]:
		return usageErrorf("%s needs --input FILE (a saved dump, or - for stdin)", o.spec.name)
	case !live:
		return usageErrorf("%s needs nodes to read: add --node NAME, --all-nodes or -l SELECTOR (or --input FILE for a saved dump)", o.spec.name)
	case o.live.Parallel < 1:
		return usageErrorf("--parallel must be at least 1")
	case o.live.Timeout <= 0:
		return usageErrorf("--timeout must be positive")
	}
	return o.completeFilter(live)
}

// completeFilter builds the conntrack filter; it filters entries, not statistics.
func (o *DumpOptions) completeFilter(live bool) error {
	f, err := o.ct.filter(live)
	if err != nil {
		return err
	}
	if !f.Empty() && o.mode.kind != parse.KindConntrack {
		return usageErrorf("the conntrack filters apply to entries, not to --stats")
	}
	o.filter = f
	return nil
}

// Run reads the dump and prints it.
func (o *DumpOptions) Run(ctx context.Context) error {
	if o.Input == "" {
		return o.runLive(ctx)
	}
	in, name, err := o.openInput()
	if err != nil {
		return err
	}
	defer in.Close()
	p := o.mode.printer(o.Out, o.ErrOut, o.format)
	rep, err := decodeInto(ctx, p, o.mode.kind, in, parse.Options{Format: o.parseFormat}, "", o.keep(nil))
	if err != nil {
		_ = p.Abort()
		return decodeError(o.mode.kind, name, err)
	}
	return p.Close(summaryOf(rep, ""))
}

// openInput opens --input and returns it with the name errors use.
func (o *DumpOptions) openInput() (io.ReadCloser, string, error) {
	if o.Input == stdinName {
		return io.NopCloser(o.In), "stdin", nil
	}
	f, err := os.Open(o.Input)
	if err != nil {
		return nil, "", fmt.Errorf("read %s dump: %w", o.mode.kind, err)
	}
	return f, o.Input, nil
}

// decodeInto decodes one dump of kind and hands each row to p as an item of node ("" offline).
// Live mode will call it once per node, into the same printer.
func decodeInto(ctx context.Context, p output.ListPrinter, kind parse.Kind, r io.Reader, opts parse.Options, node string, keep func(any) bool) (parse.Report, error) {
	return parse.Decode(kind, ctxReader{ctx, r}, opts, func(row any) error {
		if !keep(row) {
			return nil
		}
		return p.Add(output.Item{Node: node, Row: row})
	})
}

// keep applies the conntrack filters; idx resolves --service and --pod (nil offline).
func (o *DumpOptions) keep(idx *annotate.Index) func(any) bool {
	if o.filter.Empty() {
		return func(any) bool { return true }
	}
	return func(row any) bool {
		e, ok := row.(model.ConntrackEntry)
		return !ok || o.filter.Match(e, idx)
	}
}

// keepConntrack is keep for a conntrack entry.
func (o *DumpOptions) keepConntrack(idx *annotate.Index) func(*model.ConntrackEntry) bool {
	if o.filter.Empty() {
		return func(*model.ConntrackEntry) bool { return true }
	}
	return func(e *model.ConntrackEntry) bool { return o.filter.Match(*e, idx) }
}

// decodeError names the input in a decoder's error: "parse routes from dump.txt: …". The
// decoder already says "parse routes: …"; that prefix is dropped rather than repeated.
func decodeError(kind parse.Kind, input string, err error) error {
	msg := strings.TrimPrefix(err.Error(), "parse "+kind.String()+": ")
	return fmt.Errorf("parse %s from %s: %w", kind, input, rewordedError{msg, err})
}

// rewordedError shows msg but still matches err (errors.Is(…, parse.ErrToolError)).
type rewordedError struct {
	msg string
	err error
}

func (e rewordedError) Error() string { return e.msg }
func (e rewordedError) Unwrap() error { return e.err }

// summaryOf turns a decoder's report into what the printer reports.
func summaryOf(rep parse.Report, node string) output.Summary {
	s := output.Summary{WarningsDropped: rep.WarningsDropped}
	for _, w := range rep.Warnings {
		s.Warnings = append(s.Warnings, output.Warning{Node: node, Line: w.Line, Text: w.Text, Reason: w.Reason})
	}
	return s
}

// ctxReader stops reading once ctx is done, so Ctrl-C ends a long decode at the next read.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(b []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(b)
}
