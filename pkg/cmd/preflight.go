package cmd

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/calico-ebpf/kubectl-calico-ebpf/pkg/kube"
	"github.com/calico-ebpf/kubectl-calico-ebpf/pkg/output"
	"github.com/calico-ebpf/kubectl-calico-ebpf/pkg/preflight"
)

// PreflightOptions holds the flags of `preflight`.
type PreflightOptions struct {
	configFlags *genericclioptions.ConfigFlags
	genericiooptions.IOStreams

	Output          string
	Strict          bool
	APIServer       string
	CalicoNamespace string
	ExecTransport   string
	NoExec          bool
	Timeout         time.Duration
	Parallel        int

	format    output.Format
	transport kube.Transport
	// newExecutor lets tests replace exec into pods.
	newExecutor func(*kube.Clients) preflight.Executor
}

// NewCmdPreflight builds `preflight`.
func NewCmdPreflight(configFlags *genericclioptions.ConfigFlags, streams genericiooptions.IOStreams) *cobra.Command {
	return newCmdPreflight(&PreflightOptions{configFlags: configFlags, IOStreams: streams})
}

func newCmdPreflight(o *PreflightOptions) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "preflight",
		Short: "Check a cluster before enabling the eBPF dataplane",
		Long: "preflight checks what the eBPF dataplane needs, per node and cluster-wide, without changing anything:\n" +
			"each node's kernel (5.3+, RHEL 4.18.0-193+, 5.8+ recommended), OS and architecture (no Windows nodes),\n" +
			"BPF and cgroup v2 file systems (read through the node's calico-node pod); the Calico version and install\n" +
			"flavour, the operator's version and eBPF features, hostPorts and TigeraStatus; the API server's endpoints\n" +
			"and the kubernetes-services-endpoint ConfigMap; kube-proxy's mode and who manages its DaemonSet.\n\n" +
			"Each check is OK, WARN or FAIL (SKIP when it does not apply). The exit status is 1 when any check\n" +
			"fails, or with --strict when any warns.",
		Example: "  " + displayName + " preflight\n" +
			"  " + displayName + " preflight --api-server 10.0.0.10:6443 --strict\n" +
			"  " + displayName + " preflight -o json",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := o.Complete(); err != nil {
				return err
			}
			return o.Run(cmd.Context())
		},
	}
	f := cmd.Flags()
	f.StringVarP(&o.Output, "output", "o", "", "Output format: json|yaml (default: tables).")
	f.BoolVar(&o.Strict, "strict", false, "Exit 1 on warnings too.")
	f.StringVar(&o.APIServer, "api-server", "", "HOST:PORT calico-node will use to reach the API server (a load balancer or one API server).")
	f.StringVar(&o.CalicoNamespace, "calico-namespace", "", "Namespace of calico-node (default: detected, calico-system or kube-system).")
	f.StringVar(&o.ExecTransport, "exec-transport", string(kube.TransportAuto), "Exec protocol: auto (WebSocket, then SPDY), websocket or spdy.")
	f.BoolVar(&o.NoExec, "no-exec", false, "Do not exec into calico-node pods to read their mounts (BPFFS and CGROUPV2 are skipped).")
	f.DurationVar(&o.Timeout, "timeout", 30*time.Second, "Time limit of each node's exec.")
	f.IntVar(&o.Parallel, "parallel", 10, "How many nodes to read at once.")
	return cmd
}

// Complete checks the flags.
func (o *PreflightOptions) Complete() error {
	f, err := output.ParseFormat(o.Output)
	if err != nil {
		return usageError{err}
	}
	if f == output.Wide {
		f = output.Table // the tables already show everything
	}
	o.format = f
	if o.APIServer != "" {
		if err := validHostPort(o.APIServer); err != nil {
			return usageErrorf("--api-server %q: %v", o.APIServer, err)
		}
	}
	if o.transport, err = kube.ParseTransport(o.ExecTransport); err != nil {
		return usageError{err}
	}
	if o.Parallel < 1 {
		return usageErrorf("--parallel must be at least 1")
	}
	if o.Timeout <= 0 {
		return usageErrorf("--timeout must be positive")
	}
	return nil
}

func validHostPort(s string) error {
	host, port, err := net.SplitHostPort(s)
	if err != nil {
		return fmt.Errorf("want HOST:PORT: %w", err)
	}
	if host == "" {
		return fmt.Errorf("want HOST:PORT: no host")
	}
	if p, err := strconv.Atoi(port); err != nil || p < 1 || p > 65535 {
		return fmt.Errorf("want HOST:PORT: port %q is not 1-65535", port)
	}
	return nil
}

// Run gathers, evaluates and prints; a failing report is an error with exit status 1.
func (o *PreflightOptions) Run(ctx context.Context) error {
	clients, err := kube.NewClients(o.configFlags)
	if err != nil {
		return err
	}
	return o.runWith(ctx, clients)
}

func (o *PreflightOptions) runWith(ctx context.Context, clients *kube.Clients) error {
	opts := preflight.Options{CalicoNamespace: o.CalicoNamespace, APIServer: o.APIServer, ExecTimeout: o.Timeout, Parallel: o.Parallel}
	if !o.NoExec {
		if o.newExecutor != nil {
			opts.Exec = o.newExecutor(clients)
		} else {
			opts.Exec = &kube.PodExecutor{Config: clients.Config, Client: clients.Kube, Transport: o.transport}
		}
	}
	facts, err := preflight.Gather(ctx, clients.Kube, clients.Dynamic, opts)
	if err != nil {
		return fmt.Errorf("preflight: %w", err)
	}
	rep := preflight.Evaluate(facts)
	if o.format.IsStructured() {
		err = output.WriteStructured(o.Out, o.format, rep)
	} else {
		err = writePreflight(o.Out, rep)
	}
	if err != nil {
		return err
	}
	if rep.Failed(o.Strict) {
		return preflightFailed{rep.Summary, o.Strict}
	}
	return nil
}

// preflightFailed is a report with failures (or warnings under --strict): exit status 1.
type preflightFailed struct {
	s      preflight.Summary
	strict bool
}

func (p preflightFailed) Error() string {
	if p.s.Fail == 0 && p.strict {
		return fmt.Sprintf("preflight: %d checks warn (--strict)", p.s.Warn)
	}
	return fmt.Sprintf("preflight: %d checks failed", p.s.Fail)
}

func (preflightFailed) ExitCode() int { return 1 }
