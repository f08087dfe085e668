package cmd

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/calico-ebpf/kubectl-calico-ebpf/pkg/kube"
	"github.com/calico-ebpf/kubectl-calico-ebpf/pkg/output"
	"github.com/calico-ebpf/kubectl-calico-ebpf/pkg/verify"
)

// VerifyOptions holds the flags of `verify`.
type VerifyOptions struct {
	configFlags *genericclioptions.ConfigFlags
	genericiooptions.IOStreams

	Nodes           []string
	AllNodes        bool
	Selector        string
	CalicoNamespace string
	Parallel        int
	NodeTimeout     time.Duration
	ExecTransport   string
	Output          string
	Strict          bool
	Wait            bool
	Timeout         time.Duration
	Interval        time.Duration

	format output.Format
	// source gathers the facts; tests replace it.
	source factSource
}

// factSource reads the facts of the selected nodes (verify.Gatherer in production).
type factSource interface {
	Gather(ctx context.Context, sel kube.NodeSelection) (verify.ClusterFacts, []verify.NodeFacts, []string, error)
}

// VerifyOutput is the -o json|yaml document.
type VerifyOutput struct {
	verify.Report
	// Skipped names the nodes left out (not Linux: no calico-node runs there).
	Skipped []string `json:"skipped,omitempty"`
}

// NewCmdVerify builds `verify`.
func NewCmdVerify(configFlags *genericclioptions.ConfigFlags, streams genericiooptions.IOStreams) *cobra.Command {
	o := &VerifyOptions{configFlags: configFlags, IOStreams: streams}
	cmd := &cobra.Command{
		Use:   "verify [--node NAME | --all-nodes | -l SELECTOR]",
		Short: "Prove that every node runs the eBPF dataplane: one row per node, one column per check",
		Long: "verify checks, on every selected node (default: all Linux nodes):\n" +
			"  pod         calico-node is Ready, without restarts or CrashLoopBackOff\n" +
			"  bpf         the install asks for eBPF (Installation linuxDataplane, FelixConfiguration bpfEnabled or FELIX_BPFENABLED)\n" +
			"  felix       Felix logged \"BPF enabled, starting BPF endpoint manager and map manager.\" since the pod started\n" +
			"  programs    programs are attached the way the node attaches them: clsact qdiscs (tc) or TCX links and ifstate\n" +
			"              readiness (tcx), on the data interfaces and on the workload interface of every pod on the node\n" +
			"  bpffs       a bpf file system is mounted at /sys/fs/bpf\n" +
			"  kube-proxy  no kube-proxy pod runs next to Calico's kube-proxy replacement\n" +
			"  kernel      the node's kernel is new enough (≥ 5.3; RHEL ≥ 4.18.0-193)\n" +
			"Each cell is OK, WARN or FAIL; every non-OK cell is explained after the table.\n" +
			"Exit status: 0 when nothing failed, 1 on any FAIL (on any WARN too with --strict).",
		Example: "  " + displayName + " verify\n" +
			"  " + displayName + " verify --node worker-1 -o json\n" +
			"  " + displayName + " verify --all-nodes --wait --timeout 10m",
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := o.Complete(); err != nil {
				return err
			}
			return o.Run(cmd.Context())
		},
	}
	f := cmd.Flags()
	f.StringArrayVar(&o.Nodes, "node", nil, "Verify this node (repeatable).")
	f.BoolVar(&o.AllNodes, "all-nodes", false, "Verify every node (the default when no node is selected).")
	f.StringVarP(&o.Selector, "selector", "l", "", "Verify the nodes matching this label selector.")
	f.StringVar(&o.CalicoNamespace, "calico-namespace", "", "Namespace of calico-node (default: detected, calico-system or kube-system).")
	f.IntVar(&o.Parallel, "parallel", 10, "How many nodes to read at once.")
	f.DurationVar(&o.NodeTimeout, "node-timeout", 30*time.Second, "Give up on a node's command that has not answered in this time.")
	f.StringVar(&o.ExecTransport, "exec-transport", string(kube.TransportAuto), "Exec protocol: auto (WebSocket, then SPDY), websocket or spdy.")
	f.StringVarP(&o.Output, "output", "o", "", "Output format: table|json|yaml.")
	f.BoolVar(&o.Strict, "strict", false, "Fail (exit 1) on WARN as well as on FAIL.")
	f.BoolVar(&o.Wait, "wait", false, "Re-check until every node passes or --timeout runs out; progress goes to stderr.")
	f.DurationVar(&o.Timeout, "timeout", 5*time.Minute, "With --wait: how long to keep re-checking.")
	f.DurationVar(&o.Interval, "interval", 5*time.Second, "With --wait: pause between checks.")
	return cmd
}

// Complete checks the flags and builds the fact source.
func (o *VerifyOptions) Complete() error {
	f, err := output.ParseFormat(o.Output)
	if err != nil {
		return usageError{err}
	}
	if f == output.Wide {
		return usageErrorf("verify has no wide table: use table, json or yaml")
	}
	o.format = f
	if o.Timeout <= 0 || o.Interval <= 0 {
		return usageErrorf("--timeout and --interval must be positive")
	}
	if o.source != nil {
		return nil
	}
	clients, transport, err := execClients(o.configFlags, o.ExecTransport)
	if err != nil {
		return err
	}
	o.source = &verify.Gatherer{
		Kube: clients.Kube, Dynamic: clients.Dynamic,
		Exec:      &kube.PodExecutor{Config: clients.Config, Client: clients.Kube, Transport: transport},
		Logs:      verify.KubeLogs{Client: clients.Kube},
		Namespace: o.CalicoNamespace, Parallel: o.Parallel, Timeout: o.NodeTimeout,
	}
	return nil
}

func (o *VerifyOptions) selection() kube.NodeSelection {
	sel := kube.NodeSelection{Names: o.Nodes, All: o.AllNodes, Selector: o.Selector}
	if sel.Empty() {
		sel.All = true
	}
	return sel
}

// threshold is the status that makes verify fail.
func (o *VerifyOptions) threshold() verify.Status {
	if o.Strict {
		return verify.Warn
	}
	return verify.Fail
}

// Run checks once, or until every node passes with --wait, and prints the last report.
func (o *VerifyOptions) Run(ctx context.Context) error {
	if !o.Wait {
		out, err := o.check(ctx)
		if err != nil {
			return err
		}
		if err := o.print(out); err != nil {
			return err
		}
		return o.verdict(out, "")
	}
	deadline := time.Now().Add(o.Timeout)
	waitCtx, cancel := context.WithDeadline(ctx, deadline)
	defer cancel()
	var last *VerifyOutput
	var lastErr error
	for round := 1; ; round++ {
		out, err := o.check(waitCtx)
		switch {
		case err == nil:
			last, lastErr = out, nil
			bad := out.NotPassing(o.threshold())
			if len(bad) == 0 {
				fmt.Fprintf(o.ErrOut, "verify: all %d nodes pass (check %d)\n", len(out.Nodes), round)
				if err := o.print(out); err != nil {
					return err
				}
				return o.verdict(out, "")
			}
			fmt.Fprintf(o.ErrOut, "verify: %d of %d nodes not passing yet: %s (check %d)\n", len(bad), len(out.Nodes), o.describe(out, bad), round)
		case errors.Is(err, verify.ErrNoCalico) || isUsage(err):
			return err
		default:
			if waitCtx.Err() == nil {
				lastErr = err
				fmt.Fprintf(o.ErrOut, "verify: check %d failed: %v\n", round, err)
			}
		}
		if time.Until(deadline) < o.Interval || waitCtx.Err() != nil {
			break
		}
		select {
		case <-waitCtx.Done():
		case <-time.After(o.Interval):
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
	}
	if last == nil {
		return fmt.Errorf("verify: timed out after %s: %w", o.Timeout, lastErr)
	}
	if err := o.print(last); err != nil {
		return err
	}
	bad := last.NotPassing(o.threshold())
	return o.verdict(last, fmt.Sprintf("timed out after %s waiting for %d of %d nodes to pass: %s", o.Timeout, len(bad), len(last.Nodes), o.describe(last, bad)))
}

func isUsage(err error) bool {
	var ue usageError
	return errors.As(err, &ue)
}

// describe names nodes with their failing checks: "node-2 (programs, bpffs)".
func (o *VerifyOptions) describe(out *VerifyOutput, names []string) string {
	want := map[string]bool{}
	for _, n := range names {
		want[n] = true
	}
	var parts []string
	for _, n := range out.Nodes {
		if !want[n.Node] {
			continue
		}
		var checks []string
		for _, r := range n.Checks {
			if r.Status >= o.threshold() {
				checks = append(checks, string(r.Check)+" "+r.Status.String()+": "+r.Reason)
			}
		}
		parts = append(parts, n.Node+" ("+strings.Join(checks, "; ")+")")
	}
	return strings.Join(parts, ", ")
}

func (o *VerifyOptions) check(ctx context.Context) (*VerifyOutput, error) {
	cluster, nodes, skipped, err := o.source.Gather(ctx, o.selection())
	if err != nil {
		return nil, err
	}
	if len(nodes) == 0 {
		return nil, errors.New("no Linux node selected")
	}
	return &VerifyOutput{Report: verify.Evaluate(cluster, nodes), Skipped: skipped}, nil
}

// verifyFailed is verify's own failure: the report was printed, the exit status is 1.
type verifyFailed struct{ msg string }

func (v verifyFailed) Error() string { return v.msg }
func (v verifyFailed) ExitCode() int { return 1 }

func (o *VerifyOptions) verdict(out *VerifyOutput, timeoutMsg string) error {
	if timeoutMsg != "" {
		return verifyFailed{"verify: " + timeoutMsg}
	}
	bad := out.NotPassing(o.threshold())
	if len(bad) == 0 {
		return nil
	}
	what := "failed"
	if o.Strict {
		what = "failed or warned (--strict)"
	}
	return verifyFailed{fmt.Sprintf("verify: %d of %d nodes %s: %s", len(bad), len(out.Nodes), what, strings.Join(bad, ", "))}
}

func (o *VerifyOptions) print(out *VerifyOutput) error {
	if o.format.IsStructured() {
		return output.WriteStructured(o.Out, o.format, out)
	}
	return writeVerifyTable(o.Out, out)
}

var verifyHeaders = map[verify.Check]string{
	verify.CheckPod: "POD", verify.CheckRequested: "BPF", verify.CheckFelix: "FELIX", verify.CheckPrograms: "PROGRAMS",
	verify.CheckBPFFS: "BPFFS", verify.CheckKubeProxy: "KUBE-PROXY", verify.CheckKernel: "KERNEL",
}

func writeVerifyTable(w io.Writer, out *VerifyOutput) error {
	fmt.Fprintf(w, "Calico: %s install, calico-node in %s; eBPF requested by %s\n\n", out.Flavour, out.Namespace, out.Requested)
	headers := []string{"NODE", "STATUS", "CALICO"}
	for _, c := range verify.Checks {
		headers = append(headers, verifyHeaders[c])
	}
	rows := make([][]string, 0, len(out.Nodes))
	for _, n := range out.Nodes {
		row := []string{n.Node, n.Status.String(), orUnknown(n.Version)}
		for _, c := range verify.Checks {
			r := n.Check(c)
			row = append(row, r.Status.String()+" "+r.Reason)
		}
		rows = append(rows, row)
	}
	if err := output.WriteTable(w, headers, rows); err != nil {
		return err
	}
	first := true
	for _, n := range out.Nodes {
		for _, r := range n.Checks {
			if r.Status == verify.OK {
				continue
			}
			if first {
				fmt.Fprintln(w, "\nDetails:")
				first = false
			}
			fmt.Fprintf(w, "%s %s %s: %s\n  seen: %s\n  do:   %s\n", n.Node, verifyHeaders[r.Check], r.Status, r.Reason, r.Seen, r.Action)
		}
	}
	if len(out.Skipped) > 0 {
		fmt.Fprintf(w, "\nSkipped (not Linux, no calico-node): %s\n", strings.Join(out.Skipped, ", "))
	}
	return nil
}
