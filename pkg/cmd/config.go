package cmd

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/calico-ebpf/kubectl-calico-ebpf/pkg/felixconfig"
	"github.com/calico-ebpf/kubectl-calico-ebpf/pkg/kube"
	"github.com/calico-ebpf/kubectl-calico-ebpf/pkg/output"
)

// felixOptions is what the config, dsr and debug commands share: kubectl's flags, streams,
// and a way to reach the cluster that tests can replace.
type felixOptions struct {
	configFlags *genericclioptions.ConfigFlags
	genericiooptions.IOStreams
	// clients, when set (tests), is used instead of building clients from configFlags.
	clients *kube.Clients
}

func (o *felixOptions) session(ctx context.Context, calicoNamespace string) (*felixSession, error) {
	clients := o.clients
	if clients == nil {
		var err error
		if clients, err = kube.NewClients(o.configFlags); err != nil {
			return nil, err
		}
	}
	return openFelix(ctx, clients, calicoNamespace)
}

func addWriteFlags(f *pflag.FlagSet, w *writeFlags) {
	f.StringVar(&w.DryRun, "dry-run", "none", `"none", "server" or "client". server: show the diff and have the API server validate the write without storing it; client: show the diff and send nothing. --dry-run alone means server.`)
	f.Lookup("dry-run").NoOptDefVal = string(dryRunServer)
	f.BoolVar(&w.Wait, "wait", true, "After writing, wait until calico-node is Ready again with Felix restarted on the new settings.")
	f.DurationVar(&w.Timeout, "timeout", 5*time.Minute, "How long --wait waits.")
	f.BoolVar(&w.Force, "force", false, "Write fields that some node's Calico version does not read (Felix there ignores them).")
	f.StringVar(&w.CalicoNamespace, "calico-namespace", "", "Namespace of calico-node (default: detected, calico-system or kube-system).")
}

// NewCmdConfig builds `config get|set`.
func NewCmdConfig(configFlags *genericclioptions.ConfigFlags, streams genericiooptions.IOStreams) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "config",
		Short: "Show or change the bpf* fields of FelixConfiguration default",
		Long: "config shows and changes the eBPF settings of Felix, the bpf* fields of the cluster-wide\n" +
			"FelixConfiguration \"default\". It goes through projectcalico.org/v3 when the Calico API server\n" +
			"(or native v3 CRDs) serves it, else through crd.projectcalico.org/v1 (CALICO_API_GROUP overrides).",
		Args: noArgs,
	}
	cmd.AddCommand(newCmdConfigGet(&felixOptions{configFlags: configFlags, IOStreams: streams}))
	cmd.AddCommand(newCmdConfigSet(&felixOptions{configFlags: configFlags, IOStreams: streams}))
	return cmd
}

// ConfigGetOptions holds the flags of `config get`.
type ConfigGetOptions struct {
	*felixOptions
	Output          string
	CalicoNamespace string
	Names           []string
	format          output.Format
}

func newCmdConfigGet(fo *felixOptions) *cobra.Command {
	o := &ConfigGetOptions{felixOptions: fo}
	cmd := &cobra.Command{
		Use:   "get [NAME...]",
		Short: "List bpf* fields: value, default, and whether it is set or the default",
		Long: "get lists every bpf* field of FelixConfiguration default (or the NAMEs given): the value that\n" +
			"applies, the default (per Calico version when the nodes differ), and its source: set, or\n" +
			"default when unset. -o wide adds the type, the first Calico release with the field, and notes:\n" +
			"nodes whose Calico ignores it, per-node FelixConfigurations or FELIX_* variables that override it.\n" +
			"NAME is the JSON name (bpfExternalServiceMode), Felix's name or its FELIX_ variable.",
		Example: "  " + displayName + " config get\n" +
			"  " + displayName + " config get bpfExternalServiceMode bpfLogLevel -o json",
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Names = args
			if err := o.Complete(); err != nil {
				return err
			}
			return o.Run(cmd.Context())
		},
	}
	cmd.Flags().StringVarP(&o.Output, "output", "o", "", "Output format: table|wide|json|yaml.")
	cmd.Flags().StringVar(&o.CalicoNamespace, "calico-namespace", "", "Namespace of calico-node (default: detected, calico-system or kube-system).")
	return cmd
}

// Complete checks the flags and the names.
func (o *ConfigGetOptions) Complete() error {
	f, err := output.ParseFormat(o.Output)
	if err != nil {
		return usageError{err}
	}
	o.format = f
	for i, n := range o.Names {
		field, err := felixconfig.Lookup(n)
		if err != nil {
			return usageError{err}
		}
		o.Names[i] = field.Name
	}
	return nil
}

// ConfigDocument is the -o json|yaml output of `config get`.
type ConfigDocument struct {
	// Object is what was read: felixconfigurations.<group>/default.
	Object string            `json:"object"`
	Exists bool              `json:"exists"`
	Fields []felixconfig.Row `json:"fields"`
}

// Run reads FelixConfiguration default and prints the rows.
func (o *ConfigGetOptions) Run(ctx context.Context) error {
	s, err := o.session(ctx, o.CalicoNamespace)
	if err != nil {
		return err
	}
	doc, err := s.rows(ctx, o.ErrOut, o.Names)
	if err != nil {
		return err
	}
	if o.format.IsStructured() {
		return output.WriteStructured(o.Out, o.format, doc)
	}
	return writeConfigTable(o.Out, doc, o.format == output.Wide)
}

func (s *felixSession) rows(ctx context.Context, errOut io.Writer, names []string) (*ConfigDocument, error) {
	obj, err := s.read(ctx)
	if err != nil {
		return nil, err
	}
	over, warnings := s.overrides(ctx)
	for _, w := range warnings {
		fmt.Fprintln(errOut, "warning: "+w)
	}
	rows := felixconfig.Rows(obj.Spec, felixconfig.RowOptions{Versions: s.versions, Operator: s.operator(), Overrides: over, Only: names})
	return &ConfigDocument{Object: s.fc.What("default"), Exists: obj.Exists, Fields: rows}, nil
}

func writeConfigTable(w io.Writer, doc *ConfigDocument, wide bool) error {
	if !doc.Exists {
		fmt.Fprintf(w, "%s does not exist: every field has its default\n", doc.Object)
	}
	headers := []string{"FIELD", "VALUE", "DEFAULT", "SOURCE"}
	if wide {
		headers = append(headers, "TYPE", "SINCE", "NOTES")
	}
	rows := make([][]string, 0, len(doc.Fields))
	for _, r := range doc.Fields {
		value, def := orDash(r.Value), r.Default
		if !wide {
			value, def = clip(value), clip(def)
		}
		row := []string{r.Field, value, def, r.Source}
		if wide {
			row = append(row, r.Type, r.Since, strings.Join(r.Notes, "; "))
		}
		rows = append(rows, row)
	}
	return output.WriteTable(w, headers, rows)
}

// clipWidth keeps the default table readable: a regexp default that differs per Calico
// version runs to hundreds of characters; -o wide and -o json show it whole.
const clipWidth = 48

func clip(s string) string {
	r := []rune(s)
	if len(r) <= clipWidth {
		return s
	}
	return string(r[:clipWidth-1]) + "…"
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// ConfigSetOptions holds the flags of `config set`.
type ConfigSetOptions struct {
	*felixOptions
	writeFlags
	assignments []felixconfig.Assignment
}

func newCmdConfigSet(fo *felixOptions) *cobra.Command {
	o := &ConfigSetOptions{felixOptions: fo}
	cmd := &cobra.Command{
		Use:   "set NAME=VALUE|NAME- [...]",
		Short: "Change bpf* fields of FelixConfiguration default: diff, one write, wait for Felix",
		Long: "set validates each NAME=VALUE against the field's type and allowed values and against the\n" +
			"Calico version of every node (a field a node's Felix does not read is refused unless --force),\n" +
			"prints the diff (field: old → new, with the default where a side is unset), writes all of them\n" +
			"as one JSON merge patch, conditional on the object not having changed since it was read, and\n" +
			"waits until calico-node is Ready again: Felix restarts itself to apply bpf* settings.\n" +
			"NAME- removes the field so that the default applies. Lists are comma-separated (or JSON),\n" +
			"maps are KEY=VALUE,KEY=VALUE (or a JSON object). Nothing to change: nothing is written.\n" +
			"bpfEnabled is refused on operator installs: use enable/disable.",
		Example: "  " + displayName + " config set bpfExternalServiceMode=DSR bpfDSROptoutCIDRs=10.0.0.0/8,192.168.0.0/16\n" +
			"  " + displayName + " config set bpfMapSizeConntrack=1024000 --dry-run\n" +
			"  " + displayName + " config set bpfLogFilters-",
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := o.Complete(args); err != nil {
				return err
			}
			return o.Run(cmd.Context())
		},
	}
	addWriteFlags(cmd.Flags(), &o.writeFlags)
	return cmd
}

// Complete parses and validates the assignments.
func (o *ConfigSetOptions) Complete(args []string) error {
	if len(args) == 0 {
		return usageErrorf("config set needs at least one NAME=VALUE (or NAME- to remove a field)")
	}
	if err := o.writeFlags.complete(); err != nil {
		return err
	}
	o.assignments = nil
	for _, a := range args {
		as, err := felixconfig.ParseAssignment(a)
		if err != nil {
			return usageError{err}
		}
		o.assignments = append(o.assignments, as)
	}
	if _, err := felixconfig.NewPlan(o.assignments); err != nil {
		return usageError{err}
	}
	return nil
}

// Run writes the assignments.
func (o *ConfigSetOptions) Run(ctx context.Context) error {
	s, err := o.session(ctx, o.CalicoNamespace)
	if err != nil {
		return err
	}
	if err := s.checkFields(o.ErrOut, o.assignments, o.Force); err != nil {
		return err
	}
	_, err = s.apply(ctx, &o.writeFlags, writeOut{o.Out, o.ErrOut}, func(felixconfig.Object) (felixconfig.Plan, error) {
		return felixconfig.NewPlan(o.assignments)
	})
	return err
}
