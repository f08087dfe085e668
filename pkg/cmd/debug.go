package cmd

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/calico-ebpf/kubectl-calico-ebpf/pkg/felixconfig"
	"github.com/calico-ebpf/kubectl-calico-ebpf/pkg/output"
)

// restoreTimeout bounds switching debug back after --for ran out or Ctrl-C, on top of --timeout.
const restoreTimeout = time.Minute

// NewCmdDebug builds `debug on|off|status`.
func NewCmdDebug(configFlags *genericclioptions.ConfigFlags, streams genericiooptions.IOStreams) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "debug",
		Short: "Switch the BPF programs' debug log on and off (bpfLogLevel, bpfLogFilters)",
		Long: "With bpfLogLevel Debug the BPF programs log every packet they handle to the kernel's trace pipe\n" +
			"(read it with `" + displayName + " trace`). That costs throughput, so switch it back: `debug off`,\n" +
			"or `debug on --for 10m`, which stays in the foreground and switches back when the time is up or on\n" +
			"Ctrl-C. `debug on` records the previous bpfLogLevel and bpfLogFilters in the annotation\n" +
			felixconfig.AnnotationDebugRestore + " of FelixConfiguration default, so that `debug off`\n" +
			"restores exactly those; --for also writes " + felixconfig.AnnotationDebugUntil + ", so that\n" +
			"`debug status` and `debug off` can tell when the process that was to switch back was killed.",
		Args: noArgs,
	}
	cmd.AddCommand(newCmdDebugOn(&felixOptions{configFlags: configFlags, IOStreams: streams}))
	cmd.AddCommand(newCmdDebugOff(&felixOptions{configFlags: configFlags, IOStreams: streams}))
	cmd.AddCommand(newCmdDebugStatus(&felixOptions{configFlags: configFlags, IOStreams: streams}))
	return cmd
}

// DebugOnOptions holds the flags of `debug on`.
type DebugOnOptions struct {
	*felixOptions
	writeFlags
	Ifaces []string
	Filter string
	For    time.Duration
	// now is the clock; tests replace it.
	now func() time.Time
}

func newCmdDebugOn(fo *felixOptions) *cobra.Command {
	o := &DebugOnOptions{felixOptions: fo, now: time.Now}
	cmd := &cobra.Command{
		Use:   "on [--iface IFACE...] [--filter EXPR] [--for DURATION]",
		Short: "Set bpfLogLevel Debug, optionally only on some interfaces; --for switches back by itself",
		Long: "on sets bpfLogLevel Debug. --iface limits the log to those interfaces (bpfLogFilters; also\n" +
			"all, weps for every workload, heps for every host endpoint; Calico v3.27+), each with the pcap\n" +
			"expression of --filter (default: every packet). Without --iface, bpfLogFilters is left as is.\n" +
			"--for DURATION stays in the foreground and switches debug back after DURATION or on Ctrl-C.",
		Example: "  " + displayName + " debug on --for 5m\n" +
			"  " + displayName + " debug on --iface eth0 --filter 'host 10.0.0.5 and tcp port 443'\n" +
			"  " + displayName + " debug on --dry-run",
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := o.writeFlags.complete(); err != nil {
				return err
			}
			if o.For < 0 {
				return usageErrorf("--for must be positive")
			}
			return o.Run(cmd.Context())
		},
	}
	f := cmd.Flags()
	f.StringArrayVar(&o.Ifaces, "iface", nil, "Log only on this interface (repeatable; all, weps and heps name groups).")
	f.StringVar(&o.Filter, "filter", "", "pcap filter expression for the --iface interfaces (default: every packet).")
	f.DurationVar(&o.For, "for", 0, "Stay in the foreground and switch debug back after this long (or on Ctrl-C).")
	addWriteFlags(f, &o.writeFlags)
	return cmd
}

// Run switches debug on and, with --for, back off again.
func (o *DebugOnOptions) Run(ctx context.Context) error {
	s, err := o.session(ctx, o.CalicoNamespace)
	if err != nil {
		return err
	}
	if len(o.Ifaces) > 0 {
		f, _ := felixconfig.Lookup("bpfLogFilters")
		if err := s.checkFields(o.ErrOut, []felixconfig.Assignment{{Field: f, Value: map[string]any{}}}, o.Force); err != nil {
			return fmt.Errorf("--iface: %w", err)
		}
	}
	opts := felixconfig.DebugOnOptions{Ifaces: o.Ifaces, Filter: o.Filter}
	if o.For > 0 {
		opts.Until = o.now().Add(o.For).Truncate(time.Second)
	}
	out := writeOut{o.Out, o.ErrOut}
	changed, err := s.apply(ctx, &o.writeFlags, out, func(obj felixconfig.Object) (felixconfig.Plan, error) {
		return felixconfig.DebugOn(obj, opts)
	})
	if o.For == 0 || !changed || o.dryRun != dryRunNone {
		if o.For > 0 && o.dryRun != dryRunNone {
			fmt.Fprintf(o.Out, "then after %s: debug off (back to the recorded bpfLogLevel and bpfLogFilters)\n", o.For)
		}
		return err
	}
	if err == nil {
		fmt.Fprintf(o.ErrOut, "debug on until %s (%s); Ctrl-C switches it back now\n", opts.Until.Local().Format(time.RFC3339), o.For)
		timer := time.NewTimer(time.Until(opts.Until))
		select {
		case <-timer.C:
			fmt.Fprintf(o.ErrOut, "%s is up: switching debug off\n", o.For)
		case <-ctx.Done():
			timer.Stop()
			fmt.Fprintln(o.ErrOut, "interrupted: switching debug off now")
		}
	} else {
		// The write happened but Felix did not settle: do not leave debug on behind the error.
		fmt.Fprintf(o.ErrOut, "%v\nswitching debug off again\n", err)
	}
	// Ctrl-C cancelled ctx; the way back must still run.
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), o.Timeout+restoreTimeout)
	defer cancel()
	if _, rerr := s.apply(rctx, &o.writeFlags, out, debugOffPlan(o.ErrOut)); rerr != nil {
		return fmt.Errorf("switch debug off: %w (run `%s debug off`)", rerr, displayName)
	}
	return err
}

// debugOffPlan builds the way back and says why when it is not the recorded one.
func debugOffPlan(errOut interface{ Write([]byte) (int, error) }) func(felixconfig.Object) (felixconfig.Plan, error) {
	said := false
	return func(obj felixconfig.Object) (felixconfig.Plan, error) {
		p, note := felixconfig.DebugOff(obj)
		if note != "" && !said {
			fmt.Fprintln(errOut, "note: "+note)
			said = true
		}
		return p, nil
	}
}

type debugOffOptions struct {
	*felixOptions
	writeFlags
}

func newCmdDebugOff(fo *felixOptions) *cobra.Command {
	o := &debugOffOptions{felixOptions: fo}
	cmd := &cobra.Command{
		Use:   "off",
		Short: "Restore bpfLogLevel and bpfLogFilters to what they were before `debug on` (Info if unknown)",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := o.writeFlags.complete(); err != nil {
				return err
			}
			return o.Run(cmd.Context())
		},
	}
	addWriteFlags(cmd.Flags(), &o.writeFlags)
	return cmd
}

func (o *debugOffOptions) Run(ctx context.Context) error {
	s, err := o.session(ctx, o.CalicoNamespace)
	if err != nil {
		return err
	}
	obj, err := s.read(ctx)
	if err != nil {
		return err
	}
	if st := felixconfig.State(obj, time.Now()); st.Expired {
		fmt.Fprintf(o.ErrOut, "note: debug was to be switched off at %s by the `debug on --for` that set it, which did not do it (killed?)\n", st.Until.Local().Format(time.RFC3339))
	}
	_, err = s.apply(ctx, &o.writeFlags, writeOut{o.Out, o.ErrOut}, debugOffPlan(o.ErrOut))
	return err
}

type debugStatusOptions struct {
	*felixOptions
	Output          string
	CalicoNamespace string
	format          output.Format
	now             func() time.Time
}

// DebugStatus is the -o json|yaml output of `debug status`.
type DebugStatus struct {
	Object string `json:"object"`
	felixconfig.DebugState
}

func newCmdDebugStatus(fo *felixOptions) *cobra.Command {
	o := &debugStatusOptions{felixOptions: fo, now: time.Now}
	cmd := &cobra.Command{
		Use:   "status",
		Short: "Show bpfLogLevel, bpfLogFilters, what `debug off` restores, and a --for that expired",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			f, err := output.ParseFormat(o.Output)
			if err != nil {
				return usageError{err}
			}
			if f == output.Wide {
				return usageErrorf("debug status has no wide form: use table, json or yaml")
			}
			o.format = f
			return o.Run(cmd.Context())
		},
	}
	cmd.Flags().StringVarP(&o.Output, "output", "o", "", "Output format: table|json|yaml.")
	cmd.Flags().StringVar(&o.CalicoNamespace, "calico-namespace", "", "Namespace of calico-node (default: detected, calico-system or kube-system).")
	return cmd
}

func (o *debugStatusOptions) Run(ctx context.Context) error {
	s, err := o.session(ctx, o.CalicoNamespace)
	if err != nil {
		return err
	}
	obj, err := s.read(ctx)
	if err != nil {
		return err
	}
	st := DebugStatus{Object: s.fc.What("default"), DebugState: felixconfig.State(obj, o.now())}
	if o.format.IsStructured() {
		return output.WriteStructured(o.Out, o.format, st)
	}
	filters := "unset (every interface)"
	if len(st.Filters) > 0 {
		var parts []string
		for _, k := range sortedKeysOf(st.Filters) {
			parts = append(parts, k+"="+st.Filters[k])
		}
		filters = strings.Join(parts, ", ")
	}
	rows := [][]string{{"bpfLogLevel", st.Level}, {"bpfLogFilters", filters}}
	switch {
	case st.On && st.Recorded:
		rows = append(rows, []string{"debug", "on, switched on by " + displayName + "; `debug off` restores " + st.Restore})
	case st.On:
		rows = append(rows, []string{"debug", "on, not by " + displayName + "; `debug off` sets Info"})
	default:
		rows = append(rows, []string{"debug", "off"})
	}
	switch {
	case st.Expired && st.On:
		rows = append(rows, []string{"until", fmt.Sprintf("EXPIRED at %s: the `debug on --for` that was to switch it back did not (killed?); run `%s debug off`", st.Until.Local().Format(time.RFC3339), displayName)})
	case st.Until != nil:
		rows = append(rows, []string{"until", fmt.Sprintf("%s (in %s)", st.Until.Local().Format(time.RFC3339), st.Until.Sub(o.now()).Round(time.Second))})
	}
	fmt.Fprintf(o.Out, "%s\n", st.Object)
	return output.WriteTable(o.Out, []string{"SETTING", "VALUE"}, rows)
}

func sortedKeysOf(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
