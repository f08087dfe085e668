package cmd

import (
	"context"
	"fmt"
	"io"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/calico-ebpf/kubectl-calico-ebpf/pkg/calico"
	"github.com/calico-ebpf/kubectl-calico-ebpf/pkg/collect"
	"github.com/calico-ebpf/kubectl-calico-ebpf/pkg/kube"
	"github.com/calico-ebpf/kubectl-calico-ebpf/pkg/output"
)

// Set at build time with -ldflags "-X …/pkg/cmd.version=… -X …commit=… -X …buildDate=…".
var (
	version   = "dev"
	commit    = "unknown"
	buildDate = "unknown"
)

// VersionOptions holds the flags of `version`.
type VersionOptions struct {
	configFlags *genericclioptions.ConfigFlags
	genericiooptions.IOStreams

	ClientOnly      bool
	Output          string
	CalicoNamespace string
	format          output.Format
}

// VersionInfo is what `version` reports; its JSON form is the -o json output.
type VersionInfo struct {
	Client     ClientVersion `json:"clientVersion"`
	Kubernetes string        `json:"kubernetesVersion,omitempty"`
	Calico     *CalicoInfo   `json:"calico,omitempty"`
}

// ClientVersion is the plugin's own build.
type ClientVersion struct {
	Version   string `json:"version"`
	Commit    string `json:"commit"`
	BuildDate string `json:"buildDate"`
}

// CalicoInfo is the Calico install found in the cluster.
type CalicoInfo struct {
	Found     bool          `json:"found"`
	Version   string        `json:"version,omitempty"`
	Flavour   string        `json:"flavour"`
	Namespace string        `json:"namespace,omitempty"`
	Nodes     []NodeVersion `json:"nodes,omitempty"`
}

// NodeVersion is the Calico version one node's calico-node pod runs and how its dumps are read.
type NodeVersion struct {
	Node        string `json:"node"`
	Pod         string `json:"pod"`
	Version     string `json:"version"`
	DumpCommand string `json:"dumpCommand"`
}

// NewCmdVersion builds `version`.
func NewCmdVersion(configFlags *genericclioptions.ConfigFlags, streams genericiooptions.IOStreams) *cobra.Command {
	o := &VersionOptions{configFlags: configFlags, IOStreams: streams}
	cmd := &cobra.Command{
		Use:   "version",
		Short: "Print the plugin, Kubernetes and Calico versions, and each node's dump form",
		Example: "  " + displayName + " version\n" +
			"  " + displayName + " version --client\n" +
			"  " + displayName + " version -o json",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := o.Complete(); err != nil {
				return err
			}
			return o.Run(cmd.Context())
		},
	}
	cmd.Flags().BoolVar(&o.ClientOnly, "client", false, "Print only the plugin's version; no cluster needed.")
	cmd.Flags().StringVarP(&o.Output, "output", "o", "", "Output format: json|yaml (default: text).")
	cmd.Flags().StringVar(&o.CalicoNamespace, "calico-namespace", "", "Namespace of calico-node (default: detected, calico-system or kube-system).")
	return cmd
}

// Complete checks the flags.
func (o *VersionOptions) Complete() error {
	f, err := output.ParseFormat(o.Output)
	if err != nil {
		return usageError{err}
	}
	if f == output.Wide {
		return usageErrorf("version does not print a wide table: use json or yaml")
	}
	o.format = f
	return nil
}

// Run gathers the versions and prints them.
func (o *VersionOptions) Run(ctx context.Context) error {
	info := VersionInfo{Client: ClientVersion{Version: version, Commit: commit, BuildDate: buildDate}}
	if !o.ClientOnly {
		if err := o.gatherCluster(ctx, &info); err != nil {
			// Still print what we know, as kubectl version does, then fail.
			_ = o.print(info)
			return err
		}
	}
	return o.print(info)
}

func (o *VersionOptions) gatherCluster(ctx context.Context, info *VersionInfo) error {
	clients, err := kube.NewClients(o.configFlags)
	if err != nil {
		return err
	}
	sv, err := clients.Kube.Discovery().ServerVersion()
	if err != nil {
		return fmt.Errorf("get kubernetes server version: %w", err)
	}
	info.Kubernetes = sv.GitVersion

	inst, err := kube.DetectCalico(ctx, clients.Kube, clients.Dynamic, o.CalicoNamespace)
	if err != nil {
		return err
	}
	ci := &CalicoInfo{Found: inst.DaemonSet != nil, Version: inst.Version(), Flavour: string(inst.Flavour), Namespace: inst.Namespace}
	info.Calico = ci
	if !ci.Found {
		return nil
	}
	pods, err := kube.CalicoNodePods(ctx, clients.Kube, inst.Namespace)
	if err != nil {
		return err
	}
	for _, node := range kube.SortedNodeNames(pods) {
		p := pods[node]
		tag := calico.ImageTag(kube.PodImage(p, calico.NodeContainer))
		ci.Nodes = append(ci.Nodes, NodeVersion{
			Node: node, Pod: p.Name, Version: orUnknown(tag),
			DumpCommand: collect.FormFor(calico.ParseVersion(tag)).String(),
		})
	}
	return nil
}

func (o *VersionOptions) print(info VersionInfo) error {
	if o.format.IsStructured() {
		return output.WriteStructured(o.Out, o.format, info)
	}
	return writeVersionText(o.Out, info)
}

func writeVersionText(w io.Writer, info VersionInfo) error {
	fmt.Fprintf(w, "Client Version: %s (commit %s, built %s)\n", info.Client.Version, info.Client.Commit, info.Client.BuildDate)
	if info.Kubernetes != "" {
		fmt.Fprintf(w, "Kubernetes Version: %s\n", info.Kubernetes)
	}
	ci := info.Calico
	if ci == nil {
		return nil
	}
	if !ci.Found {
		fmt.Fprintf(w, "Calico Version: not found (no calico-node DaemonSet in %s)\n", searched(ci.Namespace))
		return nil
	}
	fmt.Fprintf(w, "Calico Version: %s (%s install, calico-node in %s)\n", orUnknown(ci.Version), ci.Flavour, ci.Namespace)
	if len(ci.Nodes) == 0 {
		fmt.Fprintln(w, "No calico-node pods found.")
		return nil
	}
	fmt.Fprintln(w)
	rows := make([][]string, 0, len(ci.Nodes))
	for _, n := range ci.Nodes {
		rows = append(rows, []string{n.Node, n.Pod, n.Version, n.DumpCommand})
	}
	return output.WriteTable(w, []string{"NODE", "POD", "CALICO", "DUMP COMMAND"}, rows)
}

func searched(ns string) string {
	if ns == "" || ns == calico.OperatorNamespace {
		return calico.OperatorNamespace + " or " + calico.ManifestNamespace
	}
	return ns
}

func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}
