package cmd

import (
	"context"
	"errors"
	"fmt"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/calico-ebpf/kubectl-calico-ebpf/pkg/kube"
)

// displayName is how kubectl users call the plugin; usage lines and examples use it.
const displayName = "kubectl calico-ebpf"

// usageError marks errors caused by how the command was called; Execute adds a pointer to --help.
type usageError struct{ err error }

func (u usageError) Error() string { return u.err.Error() }
func (u usageError) Unwrap() error { return u.err }

func usageErrorf(format string, a ...any) error { return usageError{fmt.Errorf(format, a...)} }

// NewRootCmd builds the command tree. configFlags carries kubectl's global flags.
func NewRootCmd(streams genericiooptions.IOStreams) *cobra.Command {
	configFlags := genericclioptions.NewConfigFlags(true)
	root := &cobra.Command{
		Use:   "kubectl-calico_ebpf",
		Short: "Switch a Calico cluster to the eBPF dataplane, prove it, and troubleshoot it",
		Long: "kubectl calico-ebpf switches a Calico cluster to the eBPF dataplane, proves that every node\n" +
			"runs it, and explains each node's BPF routes, NAT, IP sets and conntrack in Kubernetes terms.",
		SilenceErrors: true,
		SilenceUsage:  true,
		Annotations:   map[string]string{cobra.CommandDisplayNameAnnotation: displayName},
	}
	root.SetIn(streams.In)
	root.SetOut(streams.Out)
	root.SetErr(streams.ErrOut)
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err} })
	configFlags.AddFlags(root.PersistentFlags())

	root.AddCommand(NewCmdVersion(configFlags, streams))
	root.AddCommand(NewDumpCmds(configFlags, streams)...)
	root.AddCommand(NewCmdTrace(configFlags, streams))
	root.AddCommand(NewCmdPreflight(configFlags, streams))
	root.AddCommand(NewCmdVerify(configFlags, streams))
	root.AddCommand(NewCmdConfig(configFlags, streams))
	root.AddCommand(NewCmdDSR(configFlags, streams))
	root.AddCommand(NewCmdDebug(configFlags, streams))
	root.AddCommand(NewCmdEnable(configFlags, streams))
	root.AddCommand(NewCmdDisable(configFlags, streams))
	return root
}

// Execute runs the plugin with args and returns the process exit code. Errors are printed
// once, kubectl style.
func Execute(ctx context.Context, streams genericiooptions.IOStreams, args []string) int {
	kube.UserAgent = "kubectl-calico-ebpf/" + version
	root := NewRootCmd(streams)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return 0
	}
	fmt.Fprintf(streams.ErrOut, "error: %v\n", err)
	var ue usageError
	if errors.As(err, &ue) {
		fmt.Fprintf(streams.ErrOut, "See '%s --help' for usage.\n", displayName)
	}
	var ec exitCoder
	if errors.As(err, &ec) {
		return ec.ExitCode()
	}
	return 1
}

// exitCoder lets a command choose its exit status (verify: 1 on FAIL, for example).
type exitCoder interface{ ExitCode() int }
