package cmd

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/calico-ebpf/kubectl-calico-ebpf/pkg/felixconfig"
	"github.com/calico-ebpf/kubectl-calico-ebpf/pkg/output"
)

const (
	fieldServiceMode = "bpfExternalServiceMode"
	fieldDSROptout   = "bpfDSROptoutCIDRs"
)

// NewCmdDSR builds `dsr enable|disable|status`.
func NewCmdDSR(configFlags *genericclioptions.ConfigFlags, streams genericiooptions.IOStreams) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "dsr",
		Short: "Direct server return for traffic from outside the cluster to services (bpfExternalServiceMode)",
		Long: "In DSR mode a node that forwards a service connection from outside the cluster to a backend on\n" +
			"another node lets the backend's node answer the client directly, instead of tunnelling the reply\n" +
			"back (Tunnel, the default). The underlying network must accept packets whose source is the\n" +
			"service address; clients in bpfDSROptoutCIDRs keep Tunnel.",
		Args: noArgs,
	}
	for _, mode := range []struct{ verb, value, short string }{
		{"enable", "DSR", "Set bpfExternalServiceMode DSR: diff, one write, wait for Felix"},
		{"disable", "Tunnel", "Set bpfExternalServiceMode Tunnel (the default): diff, one write, wait for Felix"},
	} {
		o := &dsrSetOptions{felixOptions: &felixOptions{configFlags: configFlags, IOStreams: streams}, value: mode.value}
		c := &cobra.Command{
			Use:   mode.verb,
			Short: mode.short,
			Example: "  " + displayName + " dsr " + mode.verb + " --dry-run\n" +
				"  " + displayName + " dsr " + mode.verb,
			Args: noArgs,
			RunE: func(cmd *cobra.Command, _ []string) error {
				if err := o.writeFlags.complete(); err != nil {
					return err
				}
				return o.Run(cmd.Context())
			},
		}
		addWriteFlags(c.Flags(), &o.writeFlags)
		cmd.AddCommand(c)
	}
	cmd.AddCommand(newCmdDSRStatus(&felixOptions{configFlags: configFlags, IOStreams: streams}))
	return cmd
}

type dsrSetOptions struct {
	*felixOptions
	writeFlags
	value string
}

func (o *dsrSetOptions) Run(ctx context.Context) error {
	a, err := felixconfig.ParseAssignment(fieldServiceMode + "=" + o.value)
	if err != nil {
		return err
	}
	s, err := o.session(ctx, o.CalicoNamespace)
	if err != nil {
		return err
	}
	if err := s.checkFields(o.ErrOut, []felixconfig.Assignment{a}, o.Force); err != nil {
		return err
	}
	_, err = s.apply(ctx, &o.writeFlags, writeOut{o.Out, o.ErrOut}, func(felixconfig.Object) (felixconfig.Plan, error) {
		return felixconfig.NewPlan([]felixconfig.Assignment{a})
	})
	return err
}

type dsrStatusOptions struct {
	*felixOptions
	Output          string
	CalicoNamespace string
	format          output.Format
}

// DSRStatus is the -o json|yaml output of `dsr status`.
type DSRStatus struct {
	Object string `json:"object"`
	// Mode is the mode that applies (DSR or Tunnel) and Source whether it is set or the default.
	Mode       string            `json:"mode"`
	Source     string            `json:"source"`
	OptoutCIDR []string          `json:"optoutCIDRs,omitempty"`
	Fields     []felixconfig.Row `json:"fields"`
}

func newCmdDSRStatus(fo *felixOptions) *cobra.Command {
	o := &dsrStatusOptions{felixOptions: fo}
	cmd := &cobra.Command{
		Use:   "status",
		Short: "Show the external service mode and the DSR opt-out CIDRs",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			f, err := output.ParseFormat(o.Output)
			if err != nil {
				return usageError{err}
			}
			o.format = f
			return o.Run(cmd.Context())
		},
	}
	cmd.Flags().StringVarP(&o.Output, "output", "o", "", "Output format: table|wide|json|yaml.")
	cmd.Flags().StringVar(&o.CalicoNamespace, "calico-namespace", "", "Namespace of calico-node (default: detected, calico-system or kube-system).")
	return cmd
}

func (o *dsrStatusOptions) Run(ctx context.Context) error {
	s, err := o.session(ctx, o.CalicoNamespace)
	if err != nil {
		return err
	}
	doc, err := s.rows(ctx, o.ErrOut, []string{fieldServiceMode, fieldDSROptout})
	if err != nil {
		return err
	}
	st := DSRStatus{Object: doc.Object, Fields: doc.Fields}
	mode := doc.Fields[0]
	st.Mode, st.Source = mode.Value, mode.Source
	if f, err := felixconfig.Lookup(fieldServiceMode); err == nil {
		// The stored value may be in any case ("dsr"); report the API's spelling.
		if v, err := f.Parse(mode.Value); err == nil {
			st.Mode = v.(string)
		}
	}
	if cidrs := doc.Fields[1]; cidrs.Source == felixconfig.SourceSet {
		st.OptoutCIDR = strings.Split(cidrs.Value, ",")
	}
	if o.format.IsStructured() {
		return output.WriteStructured(o.Out, o.format, st)
	}
	fmt.Fprintf(o.Out, "External service mode: %s (%s)\n", st.Mode, describeSource(st.Source))
	if st.Mode == "DSR" && len(st.OptoutCIDR) > 0 {
		fmt.Fprintf(o.Out, "Clients that keep Tunnel (bpfDSROptoutCIDRs): %s\n", strings.Join(st.OptoutCIDR, ", "))
	}
	fmt.Fprintln(o.Out)
	return writeConfigTable(o.Out, doc, o.format == output.Wide)
}

func describeSource(src string) string {
	if src == felixconfig.SourceSet {
		return "set in FelixConfiguration default"
	}
	return "the default: bpfExternalServiceMode is not set"
}
